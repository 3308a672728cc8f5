// auth.js - the member's bearer token (kept in localStorage), who they are, and why they were
// signed out. Nothing else reads or writes the token.
import { createSignal } from "solid-js";

const KEY = "gastown.token";

function stored() {
	try {
		return localStorage.getItem(KEY) || "";
	} catch {
		return "";
	}
}

const [token, setTokenSignal] = createSignal(stored());
const [me, setMe] = createSignal(null);
const [signOutReason, setSignOutReason] = createSignal("");

export { token, me, setMe, signOutReason };

// A pasted token may come with "Bearer " in front, quotes or line breaks around it.
export function cleanToken(text) {
	return text.trim().replace(/^bearer\s+/i, "").replace(/^["']|["']$/g, "").replace(/\s+/g, "");
}

export function signIn(newToken, who) {
	try {
		localStorage.setItem(KEY, newToken);
	} catch {
		/* private mode: the token lives for this tab only */
	}
	setSignOutReason("");
	setMe(who ?? null);
	setTokenSignal(newToken);
}

export function signOut(reason = "") {
	try {
		localStorage.removeItem(KEY);
	} catch {
		/* nothing stored */
	}
	setMe(null);
	setSignOutReason(reason);
	setTokenSignal("");
}

// Another tab signed in or out.
window.addEventListener("storage", (e) => {
	if (e.key === KEY) setTokenSignal(e.newValue || "");
});
