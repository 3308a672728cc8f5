// engine.js - one instance of the engine's wasm module (wasm/abi.h): its imports (block storage,
// clock, randomness, log, and the few WASI calls libc makes), and call(), which copies an input in,
// runs one entry point and copies the output out. Memory views are re-created after every call
// because a call may grow memory and detach the old buffer.

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

const ENTRY = {
	request: "handle_request",
	alarm: "handle_alarm",
	effect: "handle_effect_result",
	ws: "handle_ws_message",
};

// WASI errno values used below.
const ERRNO_SUCCESS = 0;
const ERRNO_BADF = 8;
const ERRNO_NOSYS = 52;

export class EngineFatal extends Error {}

// Meta crosses on every call and is nearly always ASCII. In workerd TextEncoder costs more than
// the rest of a small call's JavaScript (TextDecoder does not), so ASCII is copied unit by unit
// and only other text goes through the encoder.
function writeText(mem, at, text) {
	const n = text.length;
	for (let i = 0; i < n; i++) {
		const c = text.charCodeAt(i);
		if (c >= 0x80) return encoder.encodeInto(text, mem.subarray(at)).written;
		mem[at + i] = c;
	}
	return n;
}


export class Engine {
	// module: a WebAssembly.Module; config: {kind, id?, admin_token?, test_hooks?};
	// blocks: a BlockStore (null for the stateless worker kind); log(level, msg, fields).
	constructor(module, config, blocks, log) {
		this.blocks = blocks;
		this.log = log;
		this.aheadMs = 0; // bench support only (benchCalls): the engine's clock run ahead
		this.instance = new WebAssembly.Instance(module, this.#imports(module));
		this.x = this.instance.exports;
		this.x._initialize?.();
		this.scratch = { ptr: 0, size: 0 }; // input buffer in wasm memory, reused across calls
		const rc = this.#withInput(JSON.stringify(config), EMPTY, (p, len) => this.x.init(p, len));
		if (rc !== 0) throw new EngineFatal(`engine init failed: ${this.#outMeta().fatal}`);
		this.blocks?.flush(); // opening writes nothing today; if it did, it would be stored as before
		this.bodyLimit = this.x.body_limit();
	}

	// Run one entry point. Returns {rc, meta, body}: rc 0 ok, -1 fatal (the caller must roll back
	// and drop this instance). A trap throws WebAssembly.RuntimeError.
	call(event, meta, body = EMPTY) {
		const text = JSON.stringify(meta);
		const b = typeof body === "string" ? encoder.encode(body) : body;
		const fn = this.x[ENTRY[event]];
		const rc = this.#withInput(text, b, (mp, ml, bp) =>
			event === "alarm" ? fn(mp, ml) : fn(mp, ml, bp, b.length));
		if (rc === 0) this.blocks?.flush(); // the call's page writes, stored together (blocks.js); a fatal call is rolled back
		const outMeta = this.#outMeta();
		const ptr = this.x.out_body_ptr(), len = this.x.out_body_len();
		const outBody = new Uint8Array(this.x.memory.buffer, ptr, len).slice();
		return { rc, meta: outMeta, body: outBody };
	}

	#outMeta() {
		const ptr = this.x.out_meta_ptr(), len = this.x.out_meta_len();
		return JSON.parse(decoder.decode(new Uint8Array(this.x.memory.buffer, ptr, len)));
	}

	// Copy the meta (as UTF-8) and the body into one module buffer, grown when too small, and run
	// fn(metaPtr, metaLen, bodyPtr).
	#withInput(text, body, fn) {
		const need = text.length * 3 + body.length; // UTF-8 takes at most 3 bytes per UTF-16 unit
		if (need > this.scratch.size) {
			if (this.scratch.ptr) this.x.buf_free(this.scratch.ptr);
			const size = Math.max(need, 64 * 1024);
			this.scratch = { ptr: this.x.buf_alloc(size), size };
			if (this.scratch.ptr === 0) throw new EngineFatal("engine out of memory");
		}
		const p = this.scratch.ptr;
		const mem = new Uint8Array(this.x.memory.buffer);
		const ml = writeText(mem, p, text);
		mem.set(body, p + ml);
		return fn(p, ml, p + ml);
	}

	#bytes(ptr, len) {
		return new Uint8Array(this.x.memory.buffer, ptr, len);
	}

	#imports(module) {
		const view = () => new DataView(this.x.memory.buffer);
		const gastown = {
			block_read: (no, ptr, len) => this.blocks.read(no, this.#bytes(ptr, len)),
			block_write: (no, ptr, len) => this.blocks.write(no, this.#bytes(ptr, len)),
			block_count: () => this.blocks.count(),
			block_truncate: (count) => this.blocks.truncate(count),
			now_ms: () => Date.now() + this.aheadMs,
			random: (ptr, len) => crypto.getRandomValues(this.#bytes(ptr, len)),
			log: (level, ptr, len) =>
				this.log(["debug", "info", "warn", "error"][level] ?? "info",
					decoder.decode(this.#bytes(ptr, len))),
		};
		const wasi = {
			fd_write: (fd, iovs, iovsLen, nwritten) => {
				// libc's printf family; the engine prints nothing in normal operation.
				let total = 0, text = "";
				for (let i = 0; i < iovsLen; i++) {
					const p = view().getUint32(iovs + i * 8, true), l = view().getUint32(iovs + i * 8 + 4, true);
					text += decoder.decode(this.#bytes(p, l));
					total += l;
				}
				if (fd === 1 || fd === 2) this.log(fd === 2 ? "warn" : "info", text.trimEnd());
				view().setUint32(nwritten, total, true);
				return fd === 1 || fd === 2 ? ERRNO_SUCCESS : ERRNO_BADF;
			},
			fd_close: () => ERRNO_BADF,
			fd_seek: () => ERRNO_BADF,
			random_get: (ptr, len) => (crypto.getRandomValues(this.#bytes(ptr, len)), ERRNO_SUCCESS),
			clock_time_get: (_id, _precision, out) => {
				view().setBigUint64(out, BigInt(Date.now()) * 1000000n, true);
				return ERRNO_SUCCESS;
			},
			environ_sizes_get: (count, size) => {
				view().setUint32(count, 0, true);
				view().setUint32(size, 0, true);
				return ERRNO_SUCCESS;
			},
			environ_get: () => ERRNO_SUCCESS,
			proc_exit: (code) => { throw new EngineFatal(`engine exited with ${code}`); },
		};
		// Supply exactly what the module imports, so modules built by clang and by emscripten both
		// load; anything unexpected answers ENOSYS (WASI) or does nothing (emscripten notifications).
		const imports = {};
		for (const { module: mod, name } of WebAssembly.Module.imports(module)) {
			const table = mod === "gastown" ? gastown : mod === "wasi_snapshot_preview1" ? wasi : {};
			imports[mod] ??= {};
			imports[mod][name] = table[name] ?? (mod === "wasi_snapshot_preview1" ? () => ERRNO_NOSYS : () => 0);
		}
		return imports;
	}
}
