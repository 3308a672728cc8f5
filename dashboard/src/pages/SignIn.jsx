// SignIn.jsx - paste a token; it is checked with GET /api/me and kept in this browser.
import { Show, createSignal } from "solid-js";
import { errorText, get } from "../api.js";
import { cleanToken, signIn, signOutReason } from "../auth.js";

export default function SignIn() {
	const [text, setText] = createSignal("");
	const [busy, setBusy] = createSignal(false);
	const [err, setErr] = createSignal(null);

	async function submit(e) {
		e.preventDefault();
		const t = cleanToken(text());
		if (!t) return setErr(new Error("Paste a token first."));
		setBusy(true);
		setErr(null);
		try {
			const who = await get("/api/me", { token: t });
			setText("");
			signIn(t, who);
		} catch (x) {
			setErr(x);
		} finally {
			setBusy(false);
		}
	}

	return (
		<div class="signin-wrap">
			<header class="signin-brand"><span class="brand-mark" aria-hidden="true">⌂</span> Gastown</header>
			<main id="main" class="signin" tabindex="-1">
				<h1>Sign in</h1>
				<Show when={signOutReason()}><div class="notice" role="status">{signOutReason()}</div></Show>
				<form class="stack" onSubmit={submit}>
					<label for="signin-token">
						<span>Your token</span>
					</label>
					<textarea id="signin-token" rows="5" spellcheck={false} autocomplete="off" value={text()}
						onInput={(e) => setText(e.currentTarget.value)} aria-describedby="signin-help" data-testid="signin-token" />
					<Show when={err()}><div class="error" role="alert" data-testid="signin-error">{errorText(err())}</div></Show>
					<button type="submit" class="btn" disabled={busy()} data-testid="signin-submit">{busy() ? "Checking…" : "Sign in"}</button>
				</form>
				<div id="signin-help" class="help">
					<p>Paste a bearer token (a JWT) from your identity provider. For local development, start the town with
						<code>make dev</code>, then make one with:</p>
					<pre tabindex="0" aria-label="Command for a development token"><code>build/native/gt dev-token --user you --name "Your Name"</code></pre>
					<p class="muted small">The token stays in this browser (localStorage) until you sign out. It is sent only to this site's API.</p>
				</div>
			</main>
		</div>
	);
}
