// CostTicker.jsx - what the town has spent today (UTC), live from the socket's "costs" frames.
import { Show } from "solid-js";
import { useTown } from "../context.js";
import { money } from "../format.js";

export default function CostTicker() {
	const town = useTown();
	const detail = () => {
		const t = town.costTicker();
		return t ? `This week ${money(t.week)}, this month ${money(t.month)}` : "Today's spend, UTC";
	};
	return (
		<span class="cost-ticker" data-testid="cost-ticker" aria-live="polite" aria-atomic="true" title={detail()}>
			<span class="label">Today</span>{" "}
			<Show when={town.costDay() !== null} fallback={<span class="value">{town.costs.error() ? "—" : "…"}</span>}>
				<span class="value">{money(town.costDay())}</span>
			</Show>
		</span>
	);
}
