// town.js - everything the dashboard keeps about the open town: the town and the caller's role,
// the live socket, the feed, agents and their status trail, rigs, escalations, today's cost and
// the member's conversation with the Mayor. Pages read it; socket frames keep it current.
import { batch, createSignal } from "solid-js";
import { get, post, query, townPath } from "./api.js";
import { token } from "./auth.js";
import { debounce, loader } from "./load.js";
import { townSocket } from "./socket.js";
import { snapshot } from "./uictx.js";

const FEED_KEPT = 200;
const TRAIL_KEPT = 3;

// The newest `want` events of the town. The feed only pages forwards (?after=seq), and seq counts
// up from 1, so find the end with a few probes instead of reading the whole history.
export async function latestEvents(town, want = 100) {
	const path = townPath(town, "events");
	const first = await get(path + query({ after: 0, limit: 500 }));
	if (first.events.length < 500) return first.events.slice(-want);
	let lo = first.next_after; // an existing seq
	let step = 1000;
	let hi;
	for (;;) {
		const probe = await get(path + query({ after: lo + step, limit: 1 }));
		if (probe.events.length === 0) {
			hi = lo + step;
			break;
		}
		lo = probe.events[0].seq;
		step *= 2;
	}
	// The last seq is in [lo, hi): the smallest after with nothing past it.
	while (hi - lo > 1) {
		const mid = Math.floor((lo + hi) / 2);
		const probe = await get(path + query({ after: mid, limit: 1 }));
		if (probe.events.length === 0) hi = mid;
		else lo = probe.events[0].seq;
	}
	const tail = await get(path + query({ after: Math.max(0, lo - want), limit: Math.min(500, want) }));
	return tail.events;
}

// REST events carry nulls where frames leave the key out; make both look alike.
function normalize(ev) {
	const e = { ...ev };
	delete e.type;
	for (const k of ["field", "old", "new"]) if (e[k] === undefined) e[k] = null;
	return e;
}

export function createTown(id) {
	const listeners = new Set();
	const townInfo = loader(() => get(townPath(id)));
	const agents = loader(() => get(townPath(id, "agents")), []);
	const rigs = loader(() => get(townPath(id, "rigs")), []);
	const escalations = loader(() => get(townPath(id, "escalations")), []);
	const costs = loader(() => get(townPath(id, "costs") + query({ period: "day" })));
	const feedLoad = loader(() => latestEvents(id, 100), []);
	const mayorLoad = loader(() => get(townPath(id, "mayor", "messages")), []);
	// Loaded the first time a page or panel asks for them (personasNeeded), then kept current.
	const personas = loader(() => get(townPath(id, "personas")), []);
	let personasWanted = false;

	const [conn, setConn] = createSignal({ state: "connecting" });
	const [costTicker, setCostTicker] = createSignal(null); // {day, week, month} from frames
	const [feed, setFeed] = createSignal([]); // newest first
	const [trails, setTrails] = createSignal({}); // agent id -> [{message, at_ms}], newest first
	const [conversation, setConversation] = createSignal([]); // oldest first
	const [pending, setPending] = createSignal({}); // message id -> streamed text so far
	let lastSeq = 0;

	const role = () => townInfo.data()?.role ?? null;
	const canWrite = () => !!role() && role() !== "viewer";
	const costDay = () => costTicker()?.day ?? costs.data()?.total?.cost_microusd ?? null;

	const refreshAgents = debounce(() => agents.load(), 250);
	const refreshRigs = debounce(() => rigs.load(), 250);
	const refreshEscalations = debounce(() => escalations.load(), 250);
	const refreshMayor = debounce(() => loadMayor(), 250);
	const refreshPersonas = debounce(() => personasWanted && personas.load(), 250);

	function addEvents(list) {
		if (!list.length) return;
		const seen = new Set(feed().map((e) => e.seq));
		const fresh = list.filter((e) => !seen.has(e.seq)).map(normalize);
		for (const e of fresh) lastSeq = Math.max(lastSeq, e.seq);
		if (fresh.length)
			setFeed((old) => [...fresh, ...old].sort((a, b) => b.seq - a.seq).slice(0, FEED_KEPT));
	}

	function pushStatus(agent, message, at_ms) {
		setTrails((t) => ({ ...t, [agent]: [{ message, at_ms }, ...(t[agent] ?? [])].slice(0, TRAIL_KEPT) }));
		const list = agents.data();
		if (list?.some((a) => a.id === agent))
			agents.set(list.map((a) => (a.id === agent ? { ...a, status: message } : a)));
	}

	function onEvent(e) {
		const kind = e.kind ?? "";
		if (kind === "agent.status") pushStatus(e.subject, e.new, e.at_ms);
		else if (kind.startsWith("agent.") || kind === "bead.dispatched" || kind === "bead.done" || kind === "bead.cast") refreshAgents();
		if (kind.startsWith("persona.")) refreshPersonas();
		if (kind.startsWith("rig.")) refreshRigs();
		if (kind.startsWith("escalation.")) refreshEscalations();
	}

	function setMessages(list) {
		setConversation([...list].reverse());
	}

	async function loadMayor() {
		const list = await mayorLoad.load();
		if (list) setMessages(list);
	}

	function onMayorDelta(f) {
		if (!f.message) return;
		setPending((p) => ({ ...p, [f.message]: (p[f.message] ?? "") + (f.text ?? "") }));
	}

	function onMayorReply(f) {
		const known = conversation().some((m) => m.id === f.message);
		batch(() => {
			setPending((p) => {
				const n = { ...p };
				delete n[f.message];
				return n;
			});
			if (known)
				setConversation((c) => c.map((m) => (m.id === f.message
					? { ...m, replies: [...m.replies, { text: f.text, at_ms: f.at_ms }] } : m)));
		});
		if (!known) refreshMayor();
	}

	async function catchUp() {
		try {
			for (let i = 0; i < 10; i++) {
				const page = await get(townPath(id, "events") + query({ after: lastSeq, limit: 500 }));
				const fresh = page.events.filter((e) => e.seq > lastSeq);
				addEvents(fresh);
				for (const e of fresh) {
					onEvent(normalize(e));
					dispatch({ type: "event", ...normalize(e) });
				}
				if (page.events.length < 500) break;
			}
		} catch {
			/* the next reconnect tries again */
		}
		costs.load();
		agents.load();
		escalations.load();
		rigs.load();
		loadMayor();
		refreshPersonas();
	}

	function dispatch(frame) {
		for (const fn of listeners) {
			try {
				fn(frame);
			} catch (err) {
				console.error("frame listener failed", err);
			}
		}
	}

	function onFrame(f) {
		switch (f.type) {
		case "event": {
			if (f.seq <= lastSeq && feed().some((e) => e.seq === f.seq)) return;
			const e = normalize(f);
			addEvents([e]);
			onEvent(e);
			break;
		}
		case "costs":
			if (f.town) setCostTicker(f.town);
			break;
		case "mayor.delta":
			onMayorDelta(f);
			break;
		case "mayor.reply":
			onMayorReply(f);
			break;
		case "reconnected":
			catchUp();
			break;
		default:
			break;
		}
		dispatch(f);
	}

	// Start: the town first (it says whether we may see it at all), then the rest together.
	let socket = null;
	let disposed = false;
	(async () => {
		const t = await townInfo.load();
		if (!t || disposed) return;
		socket = townSocket(id, token, { onFrame, onState: (state, detail) => setConn({ state, detail }) });
		agents.load().then((list) => {
			if (!list) return;
			setTrails((old) => {
				const t2 = { ...old };
				for (const a of list) if (!t2[a.id] && a.status) t2[a.id] = [{ message: a.status, at_ms: a.last_heartbeat_ms }];
				return t2;
			});
		});
		rigs.load();
		escalations.load();
		costs.load();
		feedLoad.load().then((events) => events && addEvents(events));
		loadMayor();
	})();

	return {
		id,
		town: townInfo,
		role,
		canWrite,
		conn,
		retrySocket: () => socket?.retry(),
		costDay,
		costTicker,
		costs,
		feed,
		feedLoad,
		agents,
		trail: (agent) => trails()[agent] ?? [],
		rigs,
		personas,
		// The town's personas (built-ins first): loaded on first need (again when fresh), then kept
		// current by the feed's persona.* events.
		personasNeeded(fresh = false) {
			if (personasWanted && !fresh) return;
			personasWanted = true;
			personas.load();
		},
		escalations,
		refreshEscalations: () => escalations.load(),
		conversation,
		pending,
		mayorLoad,
		loadMayor,
		async sendMayor(text) {
			const m = await post(townPath(id, "mayor", "messages"), { text, ui: snapshot() });
			setConversation((c) => (c.some((x) => x.id === m.id) ? c
				: [...c, { id: m.id, text: m.text, at_ms: Date.now(), replies: [] }]));
			return m;
		},
		// Frames for pages: returns an unsubscribe function.
		on(fn) {
			listeners.add(fn);
			return () => listeners.delete(fn);
		},
		dispose() {
			disposed = true;
			socket?.close();
			listeners.clear();
			for (const d of [refreshAgents, refreshRigs, refreshEscalations, refreshMayor, refreshPersonas]) d.cancel();
		},
	};
}
