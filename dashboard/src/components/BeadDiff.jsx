// BeadDiff.jsx - the Diff tab of the bead panel: what the bead changed (GET .../beads/:bead/diff).
// The totals and one row per file (path, status, +/−, binary noted); opening a row draws that
// file's unified diff with diff2html, syntax highlighted by highlight.js. The text comes from the
// agent host or the platform; when neither gave it, the stats alone and the town's reason.
import { For, Show, createMemo, onCleanup } from "solid-js";
import { parse } from "diff2html";
import { Diff2HtmlUI } from "diff2html/lib-esm/ui/js/diff2html-ui-slim.js";
import "diff2html/bundles/css/diff2html.min.css";
import "highlight.js/styles/github.css";
import { get, townPath } from "../api.js";
import { useTown } from "../context.js";
import { debounce, loader } from "../load.js";
import { record } from "../uictx.js";
import { ErrorBox, Loading } from "./Status.jsx";

const STATUS_MARK = { added: "A", modified: "M", deleted: "D", renamed: "R", copied: "C", type_changed: "T" };

// The path a parsed diff2html file is about: its new name, or the old one for a deletion.
const pathOf = (f) => (f.isDeleted || f.newName === "/dev/null" ? f.oldName : f.newName);

export default function BeadDiff(props) {
	const town = useTown();
	const diff = loader(() => get(townPath(town.id, "beads", props.id, "diff")));
	diff.load();
	// The bead reported done, was merged or sent back: what it changed may have changed.
	const again = debounce(() => diff.load(), 300);
	const off = town.on((f) => {
		if (f.type === "event" && f.subject === props.id && /^bead\.(done|closed|updated|requeued)/.test(f.kind ?? "")) again();
	});
	onCleanup(() => {
		off();
		again.cancel();
	});

	// The unified diff, cut into files once: path -> diff2html's DiffFile.
	const parsed = createMemo(() => {
		const text = diff.data()?.diff;
		const byPath = new Map();
		if (text) for (const f of parse(text)) byPath.set(pathOf(f), f);
		return byPath;
	});

	function draw(el, path) {
		const file = parsed().get(path);
		if (!file || el.dataset.drawn) return;
		el.dataset.drawn = "1";
		const ui = new Diff2HtmlUI(el, [file], { drawFileList: false, outputFormat: "line-by-line", matching: "lines",
			highlight: true, fileContentToggle: false, stickyFileHeaders: false });
		ui.draw();
	}

	return (
		<section data-testid="bead-diff" aria-label="Diff">
			<ErrorBox error={diff.error()} retry={diff.load} title="Cannot load the diff" />
			<Show when={diff.data()} fallback={<Show when={!diff.error()}><Loading /></Show>}>
				{(d) => (
					<Show when={d().recorded} fallback={<p class="empty" data-testid="bead-diff-empty">No diff yet: the work on this bead has not reported done.</p>}>
						<p class="diff-totals" data-testid="bead-diff-totals">
							<strong>{d().totals.files} {d().totals.files === 1 ? "file" : "files"}</strong>{" "}
							<span class="good">+{d().totals.additions}</span>{" "}
							<span class="bad">−{d().totals.deletions}</span>
							<Show when={d().landed}><span class="badge">landed</span></Show>
							<span class="muted small">
								<code title={d().base}>{d().base.slice(0, 10)}</code>…<code title={d().head}>{d().head.slice(0, 10)}</code>
								<Show when={d().branch}> on <code>{d().branch}</code></Show>
								<Show when={d().source}> · from the {d().source === "host" ? "agent host" : d().source}</Show>
							</span>
						</p>
						<Show when={!d().diff}>
							<p class="note" data-testid="bead-diff-reason">The text of the diff is not available: {d().reason}</p>
						</Show>
						<ul class="diff-files plain" data-testid="bead-diff-files">
							<For each={d().files}>
								{(f) => (
									<li>
										<details data-testid="bead-diff-file" data-path={f.path}
											onToggle={(e) => {
												if (!e.currentTarget.open) return;
												record("opened a file's diff", "bead", props.id);
												draw(e.currentTarget.querySelector(".diff-file-draw"), f.path);
											}}>
											<summary>
												<span class="badge" title={f.status}>{STATUS_MARK[f.status] ?? "?"}</span>{" "}
												<code class="wrap">{f.path}</code>{" "}
												<Show when={f.binary} fallback={<>
													<span class="good small">+{f.additions}</span> <span class="bad small">−{f.deletions}</span>
												</>}>
													<span class="badge" data-testid="bead-diff-binary">binary</span>
												</Show>
											</summary>
											<div class="diff-file-body">
												<Show when={!parsed().get(f.path)}>
													<p class="empty small">{f.binary ? "A binary file: no text to show." : d().diff ? "Not in the diff text." : "No diff text."}</p>
												</Show>
												<div class="diff-file-draw" />
											</div>
										</details>
									</li>
								)}
							</For>
						</ul>
					</Show>
				)}
			</Show>
		</section>
	);
}
