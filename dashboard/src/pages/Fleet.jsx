// Fleet.jsx - an organization's fleet for its admins: per town, person, rig and team, the cost,
// velocity, rework and first-pass rates of a day, week or month (#/fleet/:org).
import { For, Show, createEffect, createSignal, on } from "solid-js";
import { get, query } from "../api.js";
import { ErrorBox, Loaded, Loading } from "../components/Status.jsx";
import { money, percent } from "../format.js";
import { loader } from "../load.js";
import { href, route } from "../route.js";
import { record } from "../uictx.js";

const isAdmin = (o) => o.role === "admin" || o.role === "owner";

function Table(props) {
	return (
		<section class="card" aria-labelledby={`fleet-${props.id}`}>
			<h2 id={`fleet-${props.id}`}>{props.title}</h2>
			<Show when={props.rows?.length} fallback={<p class="empty">Nothing in this period.</p>}>
				<div class="table-wrap" tabindex="0" role="region" aria-labelledby={`fleet-${props.id}`}>
					<table data-testid={`fleet-${props.id}`}>
						<thead>
							<tr>
								<For each={props.keys}>{(k) => <th scope="col">{k.label}</th>}</For>
								<th scope="col" class="num">Cost</th>
								<Show when={props.rigs}><th scope="col" class="num">Rigs</th></Show>
								<th scope="col" class="num">Closed</th>
								<th scope="col" class="num">Velocity / day</th>
								<th scope="col" class="num">Rework</th>
								<th scope="col" class="num">First pass</th>
							</tr>
						</thead>
						<tbody>
							<For each={props.rows}>
								{(r) => (
									<tr>
										<For each={props.keys}>{(k, i) => (i() === 0 ? <th scope="row">{r[k.key]}</th> : <td>{r[k.key]}</td>)}</For>
										<td class="num">{money(r.cost_microusd)}</td>
										<Show when={props.rigs}><td class="num">{r.rigs}</td></Show>
										<td class="num">{r.closed}</td>
										<td class="num">{(r.velocity_per_day ?? 0).toFixed(1)}</td>
										<td class="num">{percent(r.rework_rate)}</td>
										<td class="num">{percent(r.first_pass_rate)}</td>
									</tr>
								)}
							</For>
						</tbody>
					</table>
				</div>
			</Show>
		</section>
	);
}

function OrgFleet(props) {
	const [period, setPeriod] = createSignal("week");
	const [date, setDate] = createSignal("");
	const fleet = loader(() => get(`/api/orgs/${encodeURIComponent(props.org)}/fleet${query({ period: period(), date: date() })}`));
	createEffect(on([period, date], () => fleet.load()));
	return (
		<>
			<form class="filters" aria-label="Period" onSubmit={(e) => e.preventDefault()}>
				<label>
					<span>Period</span>
					<select value={period()} onChange={(e) => { setPeriod(e.currentTarget.value); record("changed fleet period"); }} data-testid="fleet-period">
						<option value="day">Day</option>
						<option value="week">Week</option>
						<option value="month">Month</option>
					</select>
				</label>
				<label>
					<span>Containing</span>
					<input type="date" value={date()} onChange={(e) => { setDate(e.currentTarget.value); record("changed fleet date"); }} data-testid="fleet-date" />
				</label>
			</form>
			<ErrorBox error={fleet.error()} retry={fleet.load} title="Cannot load the fleet" />
			<Show when={fleet.data()} fallback={<Show when={!fleet.error()}><Loading /></Show>}>
				{(f) => (
					<>
						<p class="muted">From {f().from} to {f().to}.</p>
						<Table id="towns" title="Towns" rows={f().towns} keys={[{ key: "town", label: "Town" }]} />
						<Table id="users" title="People" rows={f().users} rigs keys={[{ key: "user", label: "Person" }]} />
						<Table id="rigs" title="Rigs" rows={f().rigs} keys={[{ key: "rig", label: "Rig" }, { key: "town", label: "Town" }]} />
						<Table id="teams" title="Teams" rows={f().teams} keys={[{ key: "team", label: "Team" }]} />
					</>
				)}
			</Show>
		</>
	);
}

export default function Fleet() {
	const orgs = loader(() => get("/api/orgs"), []);
	orgs.load();
	const admin = () => (orgs.data() ?? []).filter(isAdmin);
	const selected = () => route().id ?? (admin().length === 1 ? admin()[0].id : null);
	return (
		<section class="page" aria-labelledby="fleet-title">
			<h1 id="fleet-title">Fleet</h1>
			<Loaded of={orgs} emptyText="You belong to no organization. The fleet view shows an organization's towns to its admins.">
				<Show when={admin().length} fallback={<p class="empty">Only an organization's admins and owners see its fleet; you are
					{" "}{orgs.data().map((o) => `${o.role} of ${o.name}`).join(", ")}.</p>}>
					<nav aria-label="Organizations" class="tabs">
						<For each={admin()}>
							{(o) => <a href={href("fleet", o.id)} aria-current={selected() === o.id ? "page" : undefined} data-testid={`org-${o.id}`}>{o.name}</a>}
						</For>
					</nav>
					<Show when={selected()} keyed fallback={<p class="muted">Choose an organization.</p>}>
						{(org) => <OrgFleet org={org} />}
					</Show>
				</Show>
			</Loaded>
		</section>
	);
}
