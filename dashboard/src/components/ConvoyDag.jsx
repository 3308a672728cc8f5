// ConvoyDag.jsx - a convoy's beads as a graph: one column per depth along the "blocks" edges
// (a bead sits right of everything it waits for), coloured by status, each a link to the bead.
import { For, createMemo } from "solid-js";
import { statusLabel } from "../format.js";
import { href } from "../route.js";

const W = 176, H = 58, GX = 56, GY = 18, PAD = 12;

// Layers by longest path from the beads that wait for nothing in the convoy.
export function layout(beads, edges) {
	const ids = beads.map((b) => b.id);
	const known = new Set(ids);
	const es = edges.filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to);
	const depth = new Map(ids.map((id) => [id, 0]));
	// Relax at most |V| times: enough for any DAG, and a stray cycle cannot loop forever.
	for (let i = 0; i < ids.length; i++) {
		let changed = false;
		for (const e of es) {
			const d = depth.get(e.from) + 1;
			if (d > depth.get(e.to) && d <= ids.length) {
				depth.set(e.to, d);
				changed = true;
			}
		}
		if (!changed) break;
	}
	const columns = [];
	for (const b of beads) {
		const d = depth.get(b.id);
		(columns[d] ??= []).push(b);
	}
	const pos = new Map();
	const tallest = Math.max(1, ...columns.map((c) => c?.length ?? 0));
	columns.forEach((col, x) => {
		const offset = ((tallest - col.length) * (H + GY)) / 2;
		col.forEach((b, y) => pos.set(b.id, { x: PAD + x * (W + GX), y: PAD + offset + y * (H + GY) }));
	});
	return {
		pos,
		edges: es,
		width: PAD * 2 + columns.length * W + Math.max(0, columns.length - 1) * GX,
		height: PAD * 2 + tallest * H + (tallest - 1) * GY,
	};
}

const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
// A node's name holds its visible words in their order (id, status, title as cut), then the whole
// title when it was cut.
const nodeName = (b) => {
	const shown = clip(b.title, 24);
	return `${b.id} ${statusLabel(b.status)} ${shown}${shown === b.title ? "" : ` (${b.title})`}`;
};

export default function ConvoyDag(props) {
	const g = createMemo(() => layout(props.convoy.beads ?? [], props.convoy.edges ?? []));
	const path = (e) => {
		const a = g().pos.get(e.from), b = g().pos.get(e.to);
		const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 6, y2 = b.y + H / 2;
		const mid = (x1 + x2) / 2;
		return `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
	};
	return (
		<div class="dag-wrap" data-testid="convoy-dag">
			<svg class="dag" width={g().width} height={g().height} viewBox={`0 0 ${g().width} ${g().height}`}
				role="group" aria-label={`Dependency graph of ${props.convoy.beads.length} beads`}>
				<defs>
					<marker id="dag-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">
						<path d="M0,0 L10,5 L0,10 z" class="dag-arrow" />
					</marker>
				</defs>
				<For each={g().edges}>
					{(e) => <path class="dag-edge" d={path(e)} marker-end="url(#dag-arrow)" data-from={e.from} data-to={e.to} />}
				</For>
				<For each={props.convoy.beads}>
					{(b) => {
						const p = () => g().pos.get(b.id);
						return (
							<g class={`dag-node status-${b.status}`}><a href={href("towns", props.town, "beads", b.id)}
								data-testid={`dag-node-${b.id}`} aria-label={nodeName(b)}>
								<title>{`${b.id}: ${b.title} (${statusLabel(b.status)})`}</title>
								<rect x={p().x} y={p().y} width={W} height={H} rx="8" />
								{/* The spaces between the texts (not drawn) keep their words apart for assistive technology. */}
								<text x={p().x + 10} y={p().y + 20} class="dag-id">{b.id}</text>{" "}
								<text x={p().x + W - 10} y={p().y + 20} class="dag-status" text-anchor="end">{statusLabel(b.status)}</text>{" "}
								<text x={p().x + 10} y={p().y + 42} class="dag-title">{clip(b.title, 24)}</text>
							</a></g>
						);
					}}
				</For>
			</svg>
		</div>
	);
}
