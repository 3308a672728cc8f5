// SettingsTabs.jsx - the tabs of the town's settings: Integrations (GitHub, GitLab, Slack) and the
// Wasteland (#/towns/:town/settings/integrations, .../settings/wasteland).
import { For } from "solid-js";
import { useTown } from "../context.js";
import { href } from "../route.js";

const TABS = [["integrations", "Integrations"], ["wasteland", "Wasteland"]];

// props.current: the tab shown.
export default function SettingsTabs(props) {
	const town = useTown();
	return (
		<nav class="tabs" aria-label="Settings">
			<For each={TABS}>
				{([id, label]) => (
					<a href={href("towns", town.id, "settings", id)} aria-current={props.current === id ? "page" : undefined}
						data-testid={`settings-tab-${id}`}>{label}</a>
				)}
			</For>
		</nav>
	);
}
