// Outcomes.jsx - what a registry package's (or one version's) runs came to, in a few words:
// "3 runs · 2 landed · 1 failed", or "no runs yet".
import { Show } from "solid-js";

export default function Outcomes(props) {
	const o = () => props.of ?? { runs: 0, landed: 0, failed: 0 };
	const plural = (n, w) => `${n} ${w}${n === 1 ? "" : "s"}`;
	return (
		<span class={`outcomes ${props.class ?? ""}`} data-testid={props.testid}>
			<Show when={o().runs} fallback={<span class="muted">no runs yet</span>}>
				{plural(o().runs, "run")} · {o().landed} landed
				<Show when={o().failed}> · <span class="bad">{o().failed} failed</span></Show>
			</Show>
		</span>
	);
}
