// MayorChat.jsx - the member's own conversation with the Mayor, beside whatever page they are on.
// Each message carries the UI context (uictx.js): the page, the open object, recent clicks.
// Replies stream in on the town socket (mayor.delta) and settle with mayor.reply.
import { For, Show, createEffect, createSignal, on, onCleanup, onMount } from "solid-js";
import { errorText } from "../api.js";
import { useTown } from "../context.js";
import { clock, iso } from "../format.js";
import { onEscape } from "../escape.js";

const MAX = 4000;

export default function MayorChat(props) {
	const town = useTown();
	const [text, setText] = createSignal("");
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);
	const [waiting, setWaiting] = createSignal(null); // id of my last message with no reply yet
	let log;
	let input;

	onMount(() => {
		onCleanup(onEscape(() => props.onClose()));
		input?.focus();
		if (!town.mayorLoad.loaded() && !town.mayorLoad.loading()) town.loadMayor();
	});

	const scrollDown = () => queueMicrotask(() => requestAnimationFrame(() => { if (log) log.scrollTop = log.scrollHeight; }));
	createEffect(on(() => [town.conversation(), town.pending()], scrollDown));
	createEffect(() => {
		const w = waiting();
		if (!w) return;
		const m = town.conversation().find((x) => x.id === w);
		if ((m && m.replies.length) || town.pending()[w] !== undefined) setWaiting(null);
	});

	async function send(e) {
		e.preventDefault();
		const t = text().trim();
		if (!t || busy()) return;
		setBusy(true);
		setErr(null);
		try {
			const m = await town.sendMayor(t);
			setText("");
			setWaiting(m.id);
		} catch (x) {
			setErr(x);
		} finally {
			setBusy(false);
			input?.focus();
		}
	}

	const onKey = (e) => {
		if (e.key === "Enter" && !e.shiftKey && !e.isComposing) send(e);
	};

	return (
		<aside id="mayor-chat" class="mayor-chat" aria-labelledby="mayor-title" data-testid="mayor-chat">
			<div class="panel-head">
				<h2 id="mayor-title">Mayor</h2>
				<button type="button" class="close-btn" onClick={() => props.onClose()} aria-label="Close the Mayor chat"
					data-testid="mayor-close"><span aria-hidden="true">×</span></button>
			</div>
			<p class="muted small mayor-hint">Ask about the town. The Mayor sees the page you are on and what you opened lately.</p>
			<div class="chat-log" ref={log} aria-live="polite" aria-relevant="additions text" data-testid="mayor-log" tabindex="0"
				aria-label="Conversation with the Mayor">
				<Show when={town.mayorLoad.error()}>
					<div class="error" role="alert">Cannot load the conversation: {errorText(town.mayorLoad.error())}{" "}
						<button type="button" class="link-btn" onClick={() => town.loadMayor()}>Try again</button></div>
				</Show>
				<Show when={town.mayorLoad.loaded() || town.conversation().length} fallback={<Show when={!town.mayorLoad.error()}><p class="loading" role="status">Loading…</p></Show>}>
					<Show when={town.conversation().length} fallback={<p class="empty">No messages yet. Say hello.</p>}>
						<For each={town.conversation()}>
							{(m) => (
								<div class="exchange" data-message={m.id}>
									<div class="msg mine" data-testid="mayor-message">
										<p>{m.text}</p>
										<time datetime={iso(m.at_ms)}>{clock(m.at_ms)}</time>
									</div>
									<For each={m.replies}>
										{(r) => (
											<div class="msg mayor" data-testid="mayor-reply">
												<p>{r.text}</p>
												<time datetime={iso(r.at_ms)}>{clock(r.at_ms)}</time>
											</div>
										)}
									</For>
									<Show when={town.pending()[m.id] !== undefined}>
										<div class="msg mayor streaming" data-testid="mayor-reply" data-pending="true" aria-busy="true">
											<p>{town.pending()[m.id] || "…"}</p>
											<span class="small muted">writing…</span>
										</div>
									</Show>
								</div>
							)}
						</For>
					</Show>
				</Show>
				<Show when={waiting()}>
					<p class="muted small" role="status" data-testid="mayor-waiting">Sent. Waiting for the Mayor…</p>
				</Show>
			</div>
			<form class="chat-form" onSubmit={send}>
				<label for="mayor-input" class="visually-hidden">Message to the Mayor</label>
				<textarea id="mayor-input" ref={input} rows="2" maxlength={MAX} value={text()} placeholder="Ask the Mayor…"
					onInput={(e) => setText(e.currentTarget.value)} onKeyDown={onKey} data-testid="mayor-input"
					aria-describedby="mayor-input-help" />
				<button type="submit" class="btn" disabled={busy() || !text().trim()} data-testid="mayor-send">{busy() ? "Sending…" : "Send"}</button>
				<p id="mayor-input-help" class="visually-hidden">Enter sends; Shift+Enter starts a new line.</p>
			</form>
			<Show when={err()}><div class="error" role="alert" data-testid="mayor-error">{errorText(err())}</div></Show>
		</aside>
	);
}
