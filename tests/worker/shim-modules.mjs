// shim-modules.mjs - the worker as Miniflare runs it in the tests and the bench: the shim's modules
// (with the TOML parser's, imported by path: workerd resolves no package names) and the Durable
// Object classes of wrangler.toml.
import { readdirSync } from "node:fs";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const TOML = join("node_modules", "smol-toml", "dist");

export const shimModules = [
	...["index.js", ...readdirSync(join(ROOT, "worker-shim")).filter((f) => f.endsWith(".js") && f !== "index.js")]
		.map((f) => ({ type: "ESModule", path: join(ROOT, "worker-shim", f) })),
	...readdirSync(join(ROOT, TOML)).filter((f) => f.endsWith(".js"))
		.map((f) => ({ type: "ESModule", path: join(ROOT, TOML, f) })),
];

export const durableObjects = {
	TOWN: { className: "TownDO", useSQLite: true },
	ORG: { className: "OrgDO", useSQLite: true },
	STATS: { className: "StatsDO", useSQLite: true },
	LOGS: { className: "AgentLogDO", useSQLite: true },
	REGISTRY: { className: "RegistryDO", useSQLite: true },
	SYNC: { className: "DoltSyncDO", useSQLite: true },
	USER: { className: "UserDO", useSQLite: true },
};
