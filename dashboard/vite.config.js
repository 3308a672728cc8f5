// Build of the dashboard: a SolidJS single-page app served by the worker as static assets at "/".
// From the project root: node_modules/.bin/vite build --config dashboard/vite.config.js
// For development against `make dev`: node_modules/.bin/vite --config dashboard/vite.config.js
// (the dev server proxies /api, WebSockets included, to GASTOWN_API or http://127.0.0.1:8787).
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const api = process.env.GASTOWN_API || "http://127.0.0.1:8787";
const proxy = { "/api": { target: api, ws: true, changeOrigin: false } };

export default defineConfig({
	root: here("."),
	base: "/",
	publicDir: here("public"),
	plugins: [solid()],
	build: {
		outDir: here("../build/dashboard"),
		emptyOutDir: true,
		assetsDir: "assets",
		target: "es2022",
		sourcemap: false,
		modulePreload: { polyfill: false },
		rolldownOptions: {
			output: {
				entryFileNames: "assets/[name]-[hash].js",
				chunkFileNames: "assets/[name]-[hash].js",
				assetFileNames: "assets/[name]-[hash][extname]",
			},
		},
	},
	server: { proxy },
	preview: { proxy },
});
