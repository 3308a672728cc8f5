// StatsTable.jsx - rows of the town's stats (GET .../stats, an agent's record): each key with its n,
// its first-pass rate written with its 95% Wilson interval and n ("82% (73–88%, n=100)"), merged,
// superseded, cost per merged bead and mean wall time.
import { For, Show } from "solid-js";
import { useTown } from "../context.js";
import { duration, money, rateText, statsKeyLabel } from "../format.js";
import { href } from "../route.js";

// A stats table's rows: key (an agent linked to its page), n, the rate with its interval,
// merged, superseded, cost per merged bead and mean wall time. props: rows, by (the dimension),
// noun (its heading), caption, testid, towns (the platform's rows: how many towns each sums).
const cap = (s) => String(s).charAt(0).toUpperCase() + String(s).slice(1);

export default function StatsTable(props) {
	const town = useTown();
	const capId = `${props.testid}-caption`;
	const keyCell = (r) => {
		const label = statsKeyLabel(props.by, r.key);
		if (r.key === "-") return <span class="muted">{label}</span>;
		if (props.by === "agent") return <a href={href("towns", town.id, "agents", r.key)}>{label}</a>;
		return label;
	};
	return (
		<div class="table-wrap stats-wrap" tabindex="0" role="region" aria-labelledby={capId}>
			<table class="stats-table" data-testid={props.testid}>
				<caption id={capId}>{props.caption}</caption>
				<thead>
					<tr>
						<th scope="col">{cap(props.noun ?? props.by)}</th>
						<th scope="col" class="num"><abbr title="outcomes counted: merged, failed or closed by hand">n</abbr></th>
						<Show when={props.towns}><th scope="col" class="num">Towns</th></Show>
						<th scope="col">First-pass rate (95% interval, n)</th>
						<th scope="col" class="num">Merged</th>
						<th scope="col" class="num">Superseded</th>
						<th scope="col" class="num">Cost per merged</th>
						<th scope="col" class="num">Average time</th>
					</tr>
				</thead>
				<tbody>
					<For each={props.rows}>
						{(r) => (
							<tr data-testid={`${props.testid}-row`} data-key={r.key}>
								<th scope="row" class="key">{keyCell(r)}</th>
								<td class="num" data-testid="stat-n">{r.n}</td>
								<Show when={props.towns}><td class="num" data-testid="stat-towns">{r.towns}</td></Show>
								<td class="rate" data-testid="stat-rate">{rateText(r)}</td>
								<td class="num" data-testid="stat-merged">{r.merged}</td>
								<td class="num" data-testid="stat-superseded">{r.superseded}</td>
								<td class="num" data-testid="stat-cost-merged">
									{r.cost_per_merged_microusd === null ? <span class="muted">none merged</span> : money(r.cost_per_merged_microusd)}
								</td>
								<td class="num" data-testid="stat-wall">{duration(r.wall_ms_avg)}</td>
							</tr>
						)}
					</For>
				</tbody>
			</table>
		</div>
	);
}
