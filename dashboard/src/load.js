// load.js - a small loader: data, error and loading as signals, with stale answers ignored.
import { createSignal } from "solid-js";
import { ApiError } from "./api.js";

export function loader(fetcher, initial = null) {
	const [data, setData] = createSignal(initial);
	const [error, setError] = createSignal(null);
	const [loading, setLoading] = createSignal(false);
	const [loaded, setLoaded] = createSignal(false);
	let seq = 0;

	async function load(...args) {
		const mine = ++seq;
		setLoading(true);
		try {
			const d = await fetcher(...args);
			if (mine === seq) {
				setData(() => d);
				setError(null);
				setLoaded(true);
			}
			return d;
		} catch (e) {
			if (!(e instanceof ApiError)) console.error(e);
			if (mine === seq) setError(e);
			return undefined;
		} finally {
			if (mine === seq) setLoading(false);
		}
	}

	return { data, error, loading, loaded, load, set: (v) => setData(() => v) };
}

// Call fn once, ms after the last of a burst of calls.
export function debounce(fn, ms) {
	let t = null;
	const d = (...args) => {
		clearTimeout(t);
		t = setTimeout(() => fn(...args), ms);
	};
	d.cancel = () => clearTimeout(t);
	return d;
}
