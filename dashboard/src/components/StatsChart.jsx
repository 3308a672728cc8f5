// StatsChart.jsx - the Stats page's two charts, drawn with uPlot (loaded with this module, the first
// time a Stats page opens): each key's first-pass rate as a dot with its 95% Wilson interval as an
// error bar, and its cost per merged bead as a bar. A canvas says nothing to a screen reader: each
// chart is an image whose text alternative lists what it shows, and the table under the charts
// carries the same numbers.
import { Show, createEffect, on, onCleanup, onMount } from "solid-js";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { money, rateText } from "../format.js";

// More keys than this make a chart unreadable; the table has them all.
export const CHART_MAX = 24;
const INK = "#24292f";
const GRID = "#eaeef2";
const RATE = "#0b5cad";
const COST = "#8250df";
const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

const cut = (s, n = 22) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

// One uPlot chart over categories 0..n-1 in a box that follows its container's width.
function Chart(props) {
	let box;
	let plot = null;
	let ro = null;

	function build() {
		plot?.destroy();
		plot = null;
		const labels = props.labels();
		const n = labels.length;
		if (!box || !n) return;
		const width = Math.max(260, box.clientWidth);
		// Categories side by side while their labels fit; turned 45° when they do not, and upright
		// (90°) when even turned they would overlap: each slot then fits one line of the font. A
		// label turned 45° reaches right past its slot: the plot leaves room for it.
		const longest = Math.max(...labels.map((l) => cut(l).length));
		const flatSlot = (width - 70) / n;
		const reach45 = Math.min(130, 8 + longest * 5);
		const right45 = Math.max(12, reach45 - flatSlot / 2);
		const slot45 = (width - 58 - right45) / n;
		const turn = longest * 7 <= flatSlot - 8 ? 0 : slot45 * Math.SQRT1_2 >= 14 ? 45 : 90;
		const px = Math.max(9, Math.min(12, Math.floor(flatSlot) - 2));
		const reach = turn === 90 ? Math.min(130, 8 + longest * px * 0.62) : reach45;
		const xSize = turn ? reach + 8 : 32;
		const font = `${turn === 90 ? px : 12}${FONT.slice(2)}`;
		const idx = labels.map((_, i) => i);
		const opts = {
			width,
			height: 200 + xSize,
			padding: [12, turn === 45 ? right45 : 12, 0, 0],
			legend: { show: false },
			cursor: { show: false },
			scales: { x: { time: false, range: () => [-0.5, n - 0.5] }, y: { range: props.range } },
			axes: [
				{ stroke: INK, font, grid: { show: false }, ticks: { show: false }, size: xSize, gap: 4,
					rotate: -turn, splits: () => idx, values: (_u, splits) => splits.map((i) => cut(labels[i] ?? "")) },
				{ stroke: INK, font: FONT, labelFont: FONT, label: props.axis, size: 58, grid: { stroke: GRID, width: 1 },
					ticks: { stroke: GRID }, values: (_u, vals) => vals.map(props.tick) },
			],
			series: [{}, props.series],
			hooks: props.draw ? { draw: [props.draw] } : {},
		};
		plot = new uPlot(opts, [idx, props.values()], box);
	}

	onMount(() => {
		build();
		let last = box.clientWidth;
		ro = new ResizeObserver(() => {
			if (Math.abs(box.clientWidth - last) < 2) return;
			last = box.clientWidth;
			build();
		});
		ro.observe(box);
	});
	createEffect(on(() => [props.labels(), props.values()], () => build(), { defer: true }));
	onCleanup(() => {
		ro?.disconnect();
		plot?.destroy();
	});

	return <div class="chart-canvas" ref={box} />;
}

// props.rows (the table's, in its order), props.label(row) -> a key as people read it, props.by.
export default function StatsChart(props) {
	const shown = () => props.rows.slice(0, CHART_MAX);
	const labels = () => shown().map((r) => props.label(r));
	const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);
	const rates = () => shown().map((r) => pct(r.first_pass_rate));
	const lows = () => shown().map((r) => pct(r.wilson_low));
	const highs = () => shown().map((r) => pct(r.wilson_high));
	const costs = () => shown().map((r) => (r.cost_per_merged_microusd === null ? null : r.cost_per_merged_microusd / 1e6));

	// The interval as an error bar: a line from its low to its high, capped at both ends.
	function whiskers(u) {
		const ctx = u.ctx, lo = lows(), hi = highs();
		const r = window.devicePixelRatio || 1, cap = 5 * r;
		ctx.save();
		ctx.strokeStyle = INK;
		ctx.lineWidth = 1.5 * r;
		ctx.beginPath();
		for (let i = 0; i < lo.length; i++) {
			if (lo[i] === null || hi[i] === null) continue;
			const x = u.valToPos(i, "x", true), y1 = u.valToPos(lo[i], "y", true), y2 = u.valToPos(hi[i], "y", true);
			ctx.moveTo(x, y1);
			ctx.lineTo(x, y2);
			ctx.moveTo(x - cap, y1);
			ctx.lineTo(x + cap, y1);
			ctx.moveTo(x - cap, y2);
			ctx.lineTo(x + cap, y2);
		}
		ctx.stroke();
		ctx.restore();
	}

	const rateAlt = () => `First-pass rate by ${props.by}, each with its 95% Wilson interval: ` +
		shown().map((r) => `${props.label(r)} ${rateText(r)}`).join("; ") + ".";
	const costAlt = () => `Cost per merged bead by ${props.by}: ` +
		shown().map((r) => `${props.label(r)} ${r.cost_per_merged_microusd === null ? "none merged" : money(r.cost_per_merged_microusd)}`).join("; ") + ".";

	return (
		<div class="stats-charts" data-testid="stats-chart">
			<figure class="chart">
				<figcaption id="stats-chart-rate-cap">
					<strong>First-pass rate</strong> <span class="muted small">dot: the rate; bar: its 95% Wilson interval</span>
				</figcaption>
				<div role="img" aria-label={rateAlt()} data-testid="stats-chart-rate">
					<Chart labels={labels} values={rates} axis="first-pass %" range={[0, 100]} tick={(v) => `${v}%`} draw={whiskers}
						series={{ label: "First-pass rate", stroke: RATE, width: 0, paths: () => null,
							points: { show: true, size: 10, width: 2, stroke: RATE, fill: RATE } }} />
				</div>
			</figure>
			<figure class="chart">
				<figcaption id="stats-chart-cost-cap">
					<strong>Cost per merged bead</strong> <span class="muted small">all attempts' spend ÷ beads merged</span>
				</figcaption>
				<div role="img" aria-label={costAlt()} data-testid="stats-chart-cost">
					<Chart labels={labels} values={costs} axis="$ per merged"
						range={(_u, _min, max) => [0, max > 0 ? max * 1.12 : 1]} tick={(v) => `$${v < 10 ? v.toFixed(2) : Math.round(v)}`}
						series={{ label: "Cost per merged bead", stroke: COST, fill: "rgba(130, 80, 223, 0.55)", width: 1,
							paths: uPlot.paths.bars({ size: [0.6, 56] }), points: { show: false } }} />
				</div>
			</figure>
			<Show when={props.rows.length > CHART_MAX}>
				<p class="muted small">The charts show the first {CHART_MAX}; the table has all {props.rows.length}.</p>
			</Show>
		</div>
	);
}
