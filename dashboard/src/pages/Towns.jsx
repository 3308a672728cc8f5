// Towns.jsx - the towns the member can see, personal and through organizations; start a new one.
import { For, Show, createSignal } from "solid-js";
import { errorText, get, post, townPath } from "../api.js";
import { Loaded } from "../components/Status.jsx";
import { loader } from "../load.js";
import { href, navigate } from "../route.js";
import { record } from "../uictx.js";

export default function Towns() {
	const towns = loader(() => get("/api/towns"), []);
	towns.load();
	const [id, setId] = createSignal("");
	const [name, setName] = createSignal("");
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);

	async function create(e) {
		e.preventDefault();
		setErr(null);
		const tid = id().trim();
		if (!tid) return setErr(new Error("A town id is required."));
		setBusy(true);
		try {
			await post(townPath(tid), { name: name().trim() || tid });
			record("created a town");
			navigate("towns", tid);
		} catch (x) {
			setErr(x);
		} finally {
			setBusy(false);
		}
	}

	return (
		<section class="page" aria-labelledby="towns-title">
			<h1 id="towns-title">Your towns</h1>
			<Loaded of={towns} emptyText="You are not a member of any town yet. Start one below, or ask an owner to add you.">
				<ul class="town-list">
					<For each={towns.data()}>
						{(t) => (
							<li class="card town-card" data-testid={`town-${t.id}`}>
								<a class="stretch" href={href("towns", t.id)}><strong>{t.name}</strong></a>
								<p class="muted small"><code>{t.id}</code> · {t.role}
									<Show when={t.owner?.kind === "org"}> · organization {t.owner.id}</Show></p>
							</li>
						)}
					</For>
				</ul>
			</Loaded>
			<details class="card new-town">
				<summary>Start a new town</summary>
				<form class="stack" onSubmit={create}>
					<div class="row">
						<label>
							<span>Town id</span>
							<input type="text" value={id()} onInput={(e) => setId(e.currentTarget.value)} pattern="[A-Za-z0-9_][A-Za-z0-9_\-]{0,63}"
								maxlength="64" autocomplete="off" aria-describedby="town-id-help" data-testid="new-town-id" />
						</label>
						<label>
							<span>Name</span>
							<input type="text" value={name()} onInput={(e) => setName(e.currentTarget.value)} maxlength="100" autocomplete="off"
								data-testid="new-town-name" />
						</label>
					</div>
					<p id="town-id-help" class="muted small">1–64 letters, digits, “_” or “-”; it appears in addresses.</p>
					<Show when={err()}><div class="error" role="alert">{errorText(err())}</div></Show>
					<div><button type="submit" class="btn" disabled={busy()} data-testid="new-town-submit">Create town</button></div>
				</form>
			</details>
		</section>
	);
}
