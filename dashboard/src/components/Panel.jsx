// Panel.jsx - a detail panel beside the page (over it on a phone): labelled, focused when it
// opens, closed by its button or Escape, focus given back to where it came from.
import { onCleanup, onMount } from "solid-js";
import { onEscape } from "../escape.js";

export default function Panel(props) {
	let el;
	const before = document.activeElement;
	onMount(() => {
		const off = onEscape(() => props.onClose());
		onCleanup(off);
		queueMicrotask(() => el?.querySelector("h2")?.focus());
	});
	onCleanup(() => {
		const back = props.returnFocus?.() ?? before;
		if (back && document.contains(back)) queueMicrotask(() => back.focus());
	});
	return (
		<aside ref={el} class={`panel ${props.class ?? ""}`} aria-labelledby={`${props.id}-title`}
			data-testid={props.testid}>
			<div class="panel-head">
				<h2 id={`${props.id}-title`} tabindex="-1">{props.title}</h2>
				<button type="button" class="close-btn" onClick={() => props.onClose()}
					aria-label={`Close ${props.label ?? "panel"}`} data-testid={props.testid ? `${props.testid}-close` : undefined}>
					<span aria-hidden="true">×</span>
				</button>
			</div>
			<div class="panel-body">{props.children}</div>
		</aside>
	);
}
