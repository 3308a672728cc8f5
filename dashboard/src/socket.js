// socket.js - the town's live feed socket (/api/towns/:town/ws?token=...): JSON frames in, a ping
// every 30 s, and a reconnect with growing, jittered delays when it drops. After a reconnect the
// caller gets a {"type":"reconnected"} frame so it can catch up on what it missed.
const PING_MS = 30_000;
const PONG_WAIT_MS = 10_000;
const MAX_DELAY_MS = 30_000;

export function wsUrl(path) {
	const proto = location.protocol === "https:" ? "wss:" : "ws:";
	return `${proto}//${location.host}${path}`;
}

// onFrame(frame); onState(state, detail): "connecting" | "live" | "reconnecting" (detail: ms) |
// "closed" (detail: why). getToken() is asked at each (re)connect.
export function townSocket(town, getToken, { onFrame, onState }) {
	let ws = null;
	let pingTimer = null;
	let pongTimer = null;
	let retryTimer = null;
	let attempt = 0;
	let opened = false;
	let stopped = false;

	function clearTimers() {
		clearInterval(pingTimer);
		clearTimeout(pongTimer);
		clearTimeout(retryTimer);
		pingTimer = pongTimer = retryTimer = null;
	}

	function send(obj) {
		if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
	}

	function drop(ev) {
		if (!ws) return;
		const old = ws;
		ws = null;
		old.onopen = old.onmessage = old.onclose = old.onerror = null;
		try {
			old.close();
		} catch {
			/* already closed */
		}
		clearTimers();
		if (stopped) return;
		if (ev && ev.code === 4403) {
			onState("closed", ev.reason || "access to this town was withdrawn");
			return;
		}
		const delay = Math.round(Math.min(MAX_DELAY_MS, 1000 * 2 ** attempt) * (0.5 + Math.random() / 2));
		attempt++;
		onState("reconnecting", delay);
		retryTimer = setTimeout(connect, delay);
	}

	function connect() {
		clearTimers();
		if (stopped) return;
		onState(opened ? "reconnecting" : "connecting", 0);
		const t = getToken();
		const sock = new WebSocket(wsUrl(`/api/towns/${encodeURIComponent(town)}/ws?token=${encodeURIComponent(t)}`));
		ws = sock;
		sock.onopen = () => {
			attempt = 0;
			onState("live");
			pingTimer = setInterval(() => {
				send({ type: "ping" });
				clearTimeout(pongTimer);
				// No answer at all: the connection is dead without having said so.
				pongTimer = setTimeout(() => drop({ code: 1006 }), PONG_WAIT_MS);
			}, PING_MS);
			if (opened) onFrame({ type: "reconnected" });
			opened = true;
		};
		sock.onmessage = (m) => {
			clearTimeout(pongTimer);
			if (typeof m.data !== "string") return;
			let frame;
			try {
				frame = JSON.parse(m.data);
			} catch {
				return;
			}
			if (frame && frame.type !== "pong") onFrame(frame);
		};
		sock.onclose = (ev) => drop(ev);
		sock.onerror = () => {
			/* a close event follows */
		};
	}

	// Back online, or the tab is visible again: retry now instead of waiting out the delay.
	function nudge() {
		if (document.visibilityState === "hidden") return;
		if (!stopped && !ws && retryTimer) {
			attempt = 0;
			connect();
		}
	}
	window.addEventListener("online", nudge);
	document.addEventListener("visibilitychange", nudge);

	connect();
	return {
		send,
		retry: nudge,
		close() {
			stopped = true;
			window.removeEventListener("online", nudge);
			document.removeEventListener("visibilitychange", nudge);
			clearTimers();
			if (ws) {
				ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
				try {
					ws.close(1000, "bye");
				} catch {
					/* already closed */
				}
				ws = null;
			}
		},
	};
}
