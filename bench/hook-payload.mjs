// hook-payload.mjs - the delivery the webhook figures send: octokit's own issues.opened example
// (@octokit/webhooks-examples), moved to the bench rig's repository (acme/app) and carrying the
// rig's label (gastown), so the engine's rules make a bead of it. issueOpened(n) gives issue n;
// run as a script, it prints the payload with {n} for the number (bench/native-calls.c reads it).
import { githubExamples } from "../tests/worker/webhooks.mjs";

const example = githubExamples().find((x) => x.name === "issues.opened").payload;
example.repository.full_name = "acme/app";
example.repository.name = "app";
example.repository.owner.login = "acme";
example.issue.labels.push({ ...example.issue.labels[0], id: 4242, name: "gastown", description: "work for the town", default: false });

export const issueOpened = (n) => ({ ...example, issue: { ...example.issue, number: n, id: 90000000 + n,
	url: `https://api.github.com/repos/acme/app/issues/${n}`, html_url: `https://github.com/acme/app/issues/${n}`,
	title: `Spelling error in the README file (${n})` } });

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(JSON.stringify(issueOpened(777777)).replaceAll("777777", "{n}"));
