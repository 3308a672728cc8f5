// image.test.mjs - the production container carries the coding CLIs at the versions package.json
// pins (the ones tests/worker/clis.test.mjs drives): the Dockerfile's ARGs cannot drift from them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
const ROOT = new URL("../..", import.meta.url).pathname; // not harness.mjs: no Miniflare to load

const ARGS = { CLAUDE_CODE_VERSION: "@anthropic-ai/claude-code", CODEX_VERSION: "@openai/codex", OPENCODE_VERSION: "opencode-ai" };

test("the Dockerfile installs the CLIs at package.json's pinned versions, on Node 20 or newer", () => {
	const pins = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).devDependencies;
	const docker = readFileSync(join(ROOT, "container/Dockerfile"), "utf8");
	for (const [arg, pkg] of Object.entries(ARGS)) {
		assert.match(pins[pkg] ?? "", /^\d+\.\d+\.\d+$/, `${pkg} is pinned to an exact version`);
		const m = new RegExp(`^ARG ${arg}=(\\S+)$`, "m").exec(docker);
		assert.equal(m?.[1], pins[pkg], `ARG ${arg} in container/Dockerfile`);
		assert.ok(docker.includes(`"${pkg}@\${${arg}}"`), `${pkg} is installed with ${arg}`);
	}
	// Every stage runs on Node 20+ (deps.sh and the CLIs need it) and the final one has git.
	const froms = [...docker.matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]));
	assert.equal(froms.length, [...docker.matchAll(/^FROM /gm)].length, "every stage is a node image");
	for (const major of froms) assert.ok(major >= 20, `node ${major}`);
	assert.match(docker.split(/^FROM /m).at(-1), /install[^\n]*\n?[^\n]*\bgit\b/);
});
