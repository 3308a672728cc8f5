// toml.js - a body sent as TOML, made into what the engine reads (docs/host-abi.md, "toml"): the
// file's text and its value, or where its syntax broke. TOML is only the syntax: what a formula or
// an agent config means is the engine's to check, with the source to name the line at fault.
// Imported by path: workerd resolves no package names, and wrangler bundles it the same way.
import { parse, TomlError } from "../node_modules/smol-toml/dist/index.js";

const TOML_TYPE = /^\s*(application|text)\/toml\s*(;|$)/i;

export function isToml(headers) {
	return TOML_TYPE.test(headers["content-type"] ?? "");
}

// The JSON the engine gets for a TOML body of bytes.
export function tomlBody(bytes) {
	let source;
	try {
		source = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
	} catch {
		return { source: "", error: { line: 0, column: 0, message: "the file is not UTF-8 text" } };
	}
	try {
		return { source, value: parse(source) };
	} catch (err) {
		if (!(err instanceof TomlError)) throw err;
		// The parser's message is a sentence, then the lines around the fault: the sentence is enough.
		const message = String(err.message).split("\n")[0].replace(/^Invalid TOML document:\s*/, "");
		return { source, error: { line: err.line, column: err.column, message } };
	}
}
