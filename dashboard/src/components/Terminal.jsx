// Terminal.jsx - the agent's terminal through xterm.js: raw PTY output arrives as binary frames
// (the first ones replay recent scrollback); keystrokes and size changes go back as JSON text
// frames. Viewers watch only. When the socket closes, say so and offer to reconnect.
import { FitAddon } from "@xterm/addon-fit";
import { Terminal as XTerm } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { Show, createSignal, onCleanup, onMount } from "solid-js";
import { token } from "../auth.js";
import { useTown } from "../context.js";
import { wsUrl } from "../socket.js";

function closeText(ev, everOpen) {
	if (ev.reason) return `The terminal closed: ${ev.reason}`;
	if (!everOpen) return "The terminal could not be opened: the agent may not be running here, or the server refused the connection.";
	if (ev.code === 4403) return "Access to this town was withdrawn.";
	if (ev.code === 1000) return "The terminal closed: the agent's session ended.";
	return `The connection to the terminal dropped (code ${ev.code}).`;
}

export default function Terminal(props) {
	const town = useTown();
	const [state, setState] = createSignal("connecting"); // connecting | open | closed
	const [message, setMessage] = createSignal("");
	const [serverNote, setServerNote] = createSignal("");
	const readOnly = () => !town.canWrite();
	let host;
	let term;
	let fit;
	let ws = null;
	let observer;
	const decoder = new TextDecoder();

	function send(obj) {
		if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
	}

	function sendSize() {
		if (term) send({ type: "resize", cols: term.cols, rows: term.rows });
	}

	function connect() {
		if (ws) {
			ws.onclose = null;
			ws.close();
		}
		setState("connecting");
		setMessage("");
		setServerNote("");
		let everOpen = false;
		const path = `/api/towns/${encodeURIComponent(town.id)}/agents/${encodeURIComponent(props.agent)}/terminal?token=${encodeURIComponent(token())}`;
		const sock = new WebSocket(wsUrl(path));
		sock.binaryType = "arraybuffer";
		ws = sock;
		sock.onopen = () => {
			everOpen = true;
			setState("open");
			fit?.fit();
			sendSize();
		};
		sock.onmessage = (m) => {
			if (m.data instanceof ArrayBuffer) {
				term.write(new Uint8Array(m.data));
				return;
			}
			// Text frames are the server talking to us (an error envelope, a refusal of input).
			try {
				const f = JSON.parse(m.data);
				if (f.error) setServerNote(f.error.message ?? f.error.code);
				else if (f.message) setServerNote(String(f.message));
			} catch {
				term.write(typeof m.data === "string" ? m.data : decoder.decode(m.data));
			}
		};
		sock.onclose = (ev) => {
			if (ws !== sock) return;
			ws = null;
			setState("closed");
			setMessage(closeText(ev, everOpen));
		};
	}

	onMount(() => {
		term = new XTerm({
			cursorBlink: true,
			disableStdin: readOnly(),
			fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
			fontSize: 13,
			scrollback: 5000,
			theme: { background: "#0d1117", foreground: "#e6edf3", cursor: "#e6edf3", selectionBackground: "#264f78" },
		});
		fit = new FitAddon();
		term.loadAddon(fit);
		term.open(host);
		try {
			fit.fit();
		} catch {
			/* not laid out yet */
		}
		// Shift+Escape leaves the terminal (every other key, Tab and Escape included, is the agent's).
		term.attachCustomKeyEventHandler((e) => {
			if (e.key === "Escape" && e.shiftKey) {
				if (e.type === "keydown") document.getElementById("agent-tab-terminal")?.focus();
				return false;
			}
			return true;
		});
		term.onData((data) => {
			if (!readOnly()) send({ type: "input", data });
		});
		term.onResize(() => sendSize());
		let t = null;
		observer = new ResizeObserver(() => {
			clearTimeout(t);
			t = setTimeout(() => {
				try {
					fit.fit();
				} catch {
					/* hidden */
				}
			}, 80);
		});
		observer.observe(host);
		connect();
	});

	onCleanup(() => {
		observer?.disconnect();
		if (ws) {
			ws.onclose = null;
			ws.close(1000);
			ws = null;
		}
		term?.dispose();
	});

	return (
		<section class="terminal-section" aria-label={`Terminal of ${props.agent}`}>
			<div class="terminal-bar">
				<span class={`conn conn-${state() === "open" ? "live" : state() === "connecting" ? "connecting" : "closed"}`} role="status"
					data-testid="terminal-state">
					<span class="dot" aria-hidden="true" />
					{state() === "open" ? "Connected" : state() === "connecting" ? "Connecting…" : "Closed"}
				</span>
				<Show when={readOnly()}><span class="badge">watching: viewers cannot type</span></Show>
				<Show when={state() === "closed"}>
					<button type="button" class="btn secondary" onClick={connect} data-testid="terminal-reconnect">Reconnect</button>
				</Show>
			</div>
			<Show when={message()}>
				<div class="notice" role="alert" data-testid="terminal-message">{message()}</div>
			</Show>
			<Show when={serverNote()}>
				<p class="muted small" role="status">{serverNote()}</p>
			</Show>
			<div class="terminal" ref={host} data-testid="agent-terminal" />
			<p class="muted small">Keys typed here go to the agent, Tab and Escape included. Shift+Escape moves the focus out of the terminal.</p>
		</section>
	);
}
