// Status.jsx - loading, error and empty states and the status badge, the same everywhere.
import { Show } from "solid-js";
import { errorText } from "../api.js";
import { statusLabel } from "../format.js";

export function Loading(props) {
	return <p class="loading" role="status">{props.children ?? "Loading…"}</p>;
}

// props.error: an ApiError (or any error); props.retry: optional function.
export function ErrorBox(props) {
	return (
		<Show when={props.error}>
			<div class="error" role="alert">
				<strong>{props.title ?? "Something went wrong"}:</strong> {errorText(props.error)}
				<Show when={props.retry}>
					{" "}<button type="button" class="link-btn" onClick={() => props.retry()}>Try again</button>
				</Show>
			</div>
		</Show>
	);
}

export function Empty(props) {
	return <p class="empty">{props.children}</p>;
}

// The usual trio around a loader (load.js): first load, error, empty, or the content.
export function Loaded(props) {
	const isEmpty = () => {
		const d = props.of.data();
		return props.empty ? props.empty(d) : Array.isArray(d) ? d.length === 0 : !d;
	};
	return (
		<>
			<ErrorBox error={props.of.error()} retry={props.of.load} title={props.errorTitle} />
			<Show when={!props.of.loaded() && props.of.loading()}>
				<Loading>{props.loadingText}</Loading>
			</Show>
			<Show when={props.of.loaded()}>
				<Show when={!isEmpty()} fallback={<Empty>{props.emptyText ?? "Nothing here yet."}</Empty>}>
					{props.children}
				</Show>
			</Show>
		</>
	);
}

// A bead's status as the board shows it: a coloured badge with its words ("in review").
export function StatusBadge(props) {
	return <span class={`badge status-${props.status}`} data-testid={props.testid}>{statusLabel(props.status)}</span>;
}
