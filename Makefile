# Gastown Edge build. `make help` lists the targets.
# Third-party sources are fetched and verified by `make deps` into .deps/; everything built lands in
# build/. Object files of the big sources (sqlite3.c) are cached there between runs.

.DEFAULT_GOAL := help
SHELL := /bin/bash
# `make V=1` shows every compiler command line.
Q := $(if $(V),,@)

DEPS    := .deps
BUILD   := build
SQLITE  := $(DEPS)/sqlite
CJSON   := $(DEPS)/cjson
MBED    := $(DEPS)/mbedtls
DEPS_STAMP := $(SQLITE)/.stamp $(CJSON)/.stamp $(MBED)/.stamp node_modules/.gastown-lock

ENGINE_SRC := $(sort $(wildcard src/*.c src/*/*.c))
ENGINE_HDR := $(wildcard src/*.h src/*/*.h)
MIGRATIONS := $(sort $(wildcard migrations/*/*.sql))
GEN_MIGR   := $(BUILD)/gen/migrations_gen.c
# The database a fresh object starts from, per kind: the migrations run natively at build time.
GEN_IMAGE  := $(BUILD)/gen/schema_image_gen.c
# mbedTLS: only the modules the engine uses (and SHA-1, for the agent host's WebSocket handshake;
# src/tls_config.h leaves it out of the wasm).
MBED_SRC   := $(addprefix $(MBED)/library/,sha256.c sha1.c platform_util.c constant_time.c md.c \
	base64.c bignum.c bignum_core.c rsa.c rsa_alt_helpers.c oid.c asn1parse.c asn1write.c pk.c pk_wrap.c pkparse.c \
	pem.c)

# What no SQL of ours uses, left out for the wasm's size (about 20 KB gzip): UTF-16 APIs, the
# authorizer, decltype, EXPLAIN, tracing, blob literals, date and time functions, auto-vacuum,
# generated columns, introspection, schema-version and schema pragmas, compile-option diagnostics,
# AUTOINCREMENT (no table has it), the INSERT ... SELECT transfer shortcut (only migrations copy
# tables). Options that change the grammar (views, window functions, ATTACH, VACUUM) do not build
# from the amalgamation.
# Defined before SQLITE_FLAGS, which expands it at once.
SQLITE_OMIT := -DSQLITE_OMIT_UTF16 -DSQLITE_OMIT_AUTHORIZATION -DSQLITE_OMIT_DECLTYPE \
	-DSQLITE_OMIT_INTROSPECTION_PRAGMAS -DSQLITE_OMIT_EXPLAIN -DSQLITE_OMIT_TRACE -DSQLITE_OMIT_BLOB_LITERAL \
	-DSQLITE_OMIT_DATETIME_FUNCS -DSQLITE_OMIT_COMPILEOPTION_DIAGS -DSQLITE_OMIT_AUTOVACUUM \
	-DSQLITE_OMIT_GENERATED_COLUMNS -DSQLITE_OMIT_CASE_SENSITIVE_LIKE_PRAGMA -DSQLITE_OMIT_TCL_VARIABLE \
	-DSQLITE_OMIT_SCHEMA_VERSION_PRAGMAS -DSQLITE_UNTESTABLE -DSQLITE_OMIT_XFER_OPT -DSQLITE_OMIT_AUTOINCREMENT \
	-DSQLITE_OMIT_SCHEMA_PRAGMAS
# SQLite as the engine uses it everywhere: no threads, no extensions, temp storage in memory; FTS5
# for the agent log's search (docs/memory.md).
SQLITE_FLAGS := -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_TEMP_STORE=3 \
	-DSQLITE_OMIT_WAL -DSQLITE_DQS=0 -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_OMIT_DEPRECATED \
	-DSQLITE_OMIT_SHARED_CACHE -DSQLITE_LIKE_DOESNT_MATCH_BLOBS -DSQLITE_MAX_EXPR_DEPTH=0 \
	-DSQLITE_OMIT_PROGRESS_CALLBACK -DSQLITE_ENABLE_DBPAGE_VTAB -DSQLITE_ENABLE_FTS5 \
	$(SQLITE_OMIT)
# Left out of the wasm alone, 6.1 KB gzip: databases deserialized from memory and PRAGMA
# integrity_check, which test_schema_image uses natively to load a schema image and check that
# SQLite finds it sound; the engine uses neither.
SQLITE_WASM_OMIT := -DSQLITE_OMIT_DESERIALIZE -DSQLITE_OMIT_INTEGRITY_CHECK
# In wasm there is no operating system: wasm/vfs.c is the OS layer.
SQLITE_WASM_FLAGS := $(SQLITE_FLAGS) -DSQLITE_OS_OTHER=1 $(SQLITE_WASM_OMIT)

INCLUDES := -Isrc -I$(SQLITE) -I$(CJSON) -I$(MBED)/include \
	-DMBEDTLS_CONFIG_FILE=\"tls_config.h\"
WARN     := -Wall -Wextra -Werror -std=c11 -D_DEFAULT_SOURCE

# ---- native (gcc) --------------------------------------------------------------------------------
CC       ?= gcc
NATIVE   := $(BUILD)/native
ASAN     := $(BUILD)/asan
NATIVE_CFLAGS := -O2 -g $(WARN) $(INCLUDES)
# gcc leaves float-cast-overflow out of "undefined" (clang has it): a double cast to int out of range.
ASAN_CFLAGS   := -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all \
	-fno-omit-frame-pointer $(WARN) $(INCLUDES)

# ---- fuzzing (clang's libFuzzer, ASan+UBSan) ---------------------------------------------------
FUZZ_CC  := clang-14
FUZZ     := $(BUILD)/fuzz
# SQLite is built without the coverage instrumentation (compile_rules drops -fsanitize=fuzzer-no-link
# for it): its parser and VM would swamp the engine's own coverage, and each input reopens it.
FUZZ_CFLAGS := -O1 -g -fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=all \
	-fno-omit-frame-pointer $(WARN) $(INCLUDES)

# ---- wasm (clang-14, Debian's wasi-libc) ---------------------------------------------------------
WCC      := clang-14
WASM_OPT_LEVEL ?= -Oz
# Post-MVP features every current V8 has. Bulk memory turns memcpy and memset into single
# instructions instead of byte loops: SQLite copies a whole page into its journal for every page
# a call changes.
WASM_FEATURES := -mbulk-memory -msign-ext -mnontrapping-fptoint
WASM_OPT_FEATURES := --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int
WASM     := $(BUILD)/wasm
# Full LTO, not thin: 3.9 KB gzip less for the same speed and the same relink time (docs/performance.md).
WASM_CFLAGS := --target=wasm32-wasi $(WASM_FEATURES) $(WASM_OPT_LEVEL) -flto $(WARN) -Wno-unused-command-line-argument \
	$(INCLUDES) -DNDEBUG
# No -O on the link line: clang-14 would run wasm-opt itself when it is on PATH.
WASM_LDFLAGS := --target=wasm32-wasi $(WASM_FEATURES) -mexec-model=reactor -Wl,-z,stack-size=1048576 \
	-Wl,--strip-all -flto

# ---- wasm (Debian's emscripten, STANDALONE_WASM) ------------------------------------------------
EMCC     := emcc
WASM_EMCC := $(BUILD)/wasm-emcc
EMCC_CFLAGS := -Oz $(WARN) -Wno-unused-command-line-argument $(INCLUDES) -DNDEBUG
EMCC_LDFLAGS := -Oz -sSTANDALONE_WASM=1 --no-entry -sALLOW_MEMORY_GROWTH=1 -sTOTAL_STACK=1048576 \
	-sERROR_ON_UNDEFINED_SYMBOLS=0 -sWARN_ON_UNDEFINED_SYMBOLS=0

# The engine's objects in a build directory; the wasm builds add the wasm/ layer.
ENGINE_OBJS = $(patsubst src/%.c,$(1)/src/%.o,$(ENGINE_SRC)) $(1)/gen/migrations_gen.o \
	$(1)/third/cJSON.o $(1)/third/sqlite3.o $(patsubst $(MBED)/library/%.c,$(1)/third/mbed_%.o,$(MBED_SRC))
WASM_LAYER = $(1)/wasm/exports.o $(1)/wasm/vfs.o $(1)/wasm/journal.o $(1)/wasm/schema_image.o $(1)/wasm/scanf.o \
	$(1)/gen/schema_image_gen.o

.PHONY: fuzz fuzz-smoke fuzz-build prove prove-quick soak test-soak test-build check-layers check-errors check-owners help deps native wasm wasm-emcc dashboard screenshots test test-native test-fault fault test-worker dev bench bench-targets bench-native bench-native-hooks clean distclean check-deps

help:
	@echo "make deps       fetch and verify third-party sources, install Debian and npm packages"
	@echo "make native     build the engine natively (gcc): $(NATIVE)/libgastown.a"
	@echo "make wasm       build the engine as a wasm32-wasi reactor: $(WASM)/gastown.wasm"
	@echo "make wasm-emcc  the same engine built with emscripten: $(WASM_EMCC)/gastown.wasm"
	@echo "make dashboard  the SolidJS dashboard (Vite) into $(BUILD)/dashboard, served by the worker"
	@echo "make screenshots  the browser test, saving its screenshots into docs/screenshots"
	@echo "make test       native tests under ASan+UBSan, then the worker in workerd (node --test)"
	@echo "make fault      a fault at every host call and allocation of the scripted write paths"
	@echo "make dev        run the town locally: the worker in workerd on 127.0.0.1:8787, the agent host on :8789"
	@echo "make fuzz       every libFuzzer target for FUZZ_SECONDS (default 60) each; fuzz-smoke: 5 s each"
	@echo "make soak       the crash soak: 200 agents for SOAK_SECONDS (default 600) while workerd and the host are killed"
	@echo "make prove      fuzzing, the fault sweep, the authorization matrix, the soak: the table of docs/reliability.md"
	@echo "make bench      engine and storage figures measured inside workerd"
	@echo "make bench-targets  issue 21's figures over BENCH_RUNS (5) runs: min / median / max"
	@echo "make bench-native  instructions per engine call, under callgrind"
	@echo "make bench-native-hooks  instructions per webhook delivery, under callgrind"
	@echo "make clean      remove build/ (keeps .deps/ and node_modules/)"

deps:
	@./scripts/deps.sh

$(DEPS_STAMP) &: deps/pins package-lock.json scripts/deps.sh
	@./scripts/deps.sh

check-deps: $(DEPS_STAMP)

# GNU make reads each directory once, so pattern rules over sources that `deps.sh` unpacks mid-run
# would never match in that run. Fetching is therefore a prerequisite of the makefile itself: make
# remakes this included file first, then re-executes with the sources in place. Goals that need no
# third-party source skip it.
NO_DEPS_GOALS := help clean distclean deps check-layers check-errors check-owners
ifneq ($(filter-out $(NO_DEPS_GOALS),$(or $(MAKECMDGOALS),$(.DEFAULT_GOAL))),)
include $(BUILD)/deps.mk
endif
$(BUILD)/deps.mk: $(DEPS_STAMP)
	@mkdir -p $(@D)
	@echo "# third-party sources are in place; see scripts/deps.sh" >$@

$(GEN_MIGR): $(MIGRATIONS) scripts/embed-migrations.sh
	@mkdir -p $(@D)
	@./scripts/embed-migrations.sh migrations > $@.tmp && mv $@.tmp $@

$(NATIVE)/schema-image: tools/schema-image.c $(NATIVE)/libgastown.a
	$(Q)$(CC) $(NATIVE_CFLAGS) $< $(NATIVE)/libgastown.a -lm -o $@
$(GEN_IMAGE): $(NATIVE)/schema-image
	@mkdir -p $(@D)
	$(Q)$(NATIVE)/schema-image $@.tmp $(@D) && mv $@.tmp $@

# SQLite's objects are rebuilt when its flags change: this file changes only with them.
SQLITE_STAMP := $(BUILD)/gen/sqlite-flags
$(SQLITE_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(SQLITE_FLAGS) $(SQLITE_WASM_FLAGS)' | cmp -s - $@ || echo '$(SQLITE_FLAGS) $(SQLITE_WASM_FLAGS)' > $@
FORCE:

# ---- compile rules, one set per build directory ---------------------------------------------------
# $(1) build dir, $(2) compiler, $(3) flags, $(4) SQLite flags. Third-party code is compiled without
# our warning flags: it is not ours to fix.
define compile_rules
$(1)/src/%.o: src/%.c $(ENGINE_HDR) | check-deps
	@mkdir -p $$(@D)
	@echo "  CC  $$< -> $(1)"
	$(Q)$(2) $(3) -c $$< -o $$@
$(1)/wasm/%.o: wasm/%.c wasm/abi.h wasm/schema_image.h wasm/journal.h wasm/vfs.h src/engine.h | check-deps
	@mkdir -p $$(@D)
	@echo "  CC  $$< -> $(1)"
	$(Q)$(2) $(3) -Iwasm -c $$< -o $$@
$(1)/gen/migrations_gen.o: $(GEN_MIGR) | check-deps
	@mkdir -p $$(@D)
	$(Q)$(2) $(3) -c $$< -o $$@
$(1)/gen/schema_image_gen.o: $(GEN_IMAGE) wasm/schema_image.h | check-deps
	@mkdir -p $$(@D)
	$(Q)$(2) $(3) -Iwasm -c $$< -o $$@
$(1)/third/cJSON.o: $(CJSON)/cJSON.c | check-deps
	@mkdir -p $$(@D)
	@echo "  CC  $$< -> $(1)"
	$(Q)$(2) $(3) -w -c $$< -o $$@
$(1)/third/sqlite3.o: $(SQLITE)/sqlite3.c $(SQLITE_STAMP) | check-deps
	@mkdir -p $$(@D)
	@echo "  CC  $$< -> $(1) (about a minute the first time)"
	$(Q)$(2) $(filter-out -Wall -Wextra -Werror -fsanitize=fuzzer-no-link,$(3)) -w $(4) -c $$< -o $$@
$(1)/third/mbed_%.o: $(MBED)/library/%.c | check-deps
	@mkdir -p $$(@D)
	@echo "  CC  $$< -> $(1)"
	$(Q)$(2) $(3) -w -c $$< -o $$@
endef
$(eval $(call compile_rules,$(NATIVE),$(CC),$(NATIVE_CFLAGS),$(SQLITE_FLAGS)))
$(eval $(call compile_rules,$(ASAN),$(CC),$(ASAN_CFLAGS),$(SQLITE_FLAGS)))
$(eval $(call compile_rules,$(FUZZ),$(FUZZ_CC),$(FUZZ_CFLAGS),$(SQLITE_FLAGS)))
$(eval $(call compile_rules,$(WASM),$(WCC),$(WASM_CFLAGS),$(SQLITE_WASM_FLAGS)))
$(eval $(call compile_rules,$(WASM_EMCC),$(EMCC),$(EMCC_CFLAGS),$(SQLITE_WASM_FLAGS)))

$(NATIVE)/libgastown.a: $(call ENGINE_OBJS,$(NATIVE))
$(ASAN)/libgastown.a: $(call ENGINE_OBJS,$(ASAN))
$(FUZZ)/libgastown.a: $(call ENGINE_OBJS,$(FUZZ))
$(NATIVE)/libgastown.a $(ASAN)/libgastown.a $(FUZZ)/libgastown.a:
	@rm -f $@
	@echo "  AR  $@"
	$(Q)ar rcs $@ $^

native: $(NATIVE)/libgastown.a $(NATIVE)/gt $(NATIVE)/gastown-host

# ---- gt, the command-line client -----------------------------------------------------------------
CLI_SRC := $(sort $(wildcard cli/*.c))
# host/diffstat.c: gt done reports what the branch changed with the host's own reader of git.
$(NATIVE)/gt: $(CLI_SRC) cli/cli.h host/diffstat.c host/diffstat.h $(NATIVE)/libgastown.a
	@echo "  LD  $@"
	$(Q)$(CC) $(NATIVE_CFLAGS) -Icli -Ihost $(CLI_SRC) host/diffstat.c $(NATIVE)/libgastown.a -lmicrohttpd -lcurl -lpthread -lm -o $@

# ---- gastown-host, the local agent host ----------------------------------------------------------
HOST_SRC := $(sort $(wildcard host/*.c))
$(NATIVE)/gastown-host: $(HOST_SRC) host/host.h host/diffstat.h $(NATIVE)/libgastown.a
	@echo "  LD  $@"
	$(Q)$(CC) $(NATIVE_CFLAGS) -Ihost $(HOST_SRC) $(NATIVE)/libgastown.a -lmicrohttpd -lwslay -lcurl -lm -o $@

# ---- native tests --------------------------------------------------------------------------------
TEST_SRC := $(sort $(wildcard tests/native/test_*.c))
TEST_BIN := $(patsubst tests/native/%.c,$(ASAN)/tests/%,$(TEST_SRC))

$(ASAN)/tests/%: tests/native/%.c tests/native/harness.h $(ASAN)/libgastown.a
	@mkdir -p $(@D)
	@echo "  LD  $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -Itests/native -Iwasm $< $(filter %.o,$^) $(ASAN)/libgastown.a -lm -o $@
# The agent host's runtime builder, start parsing and git listings, linked with the host's own sources.
HOST_TESTED := host/runtime.c host/start.c host/util.c host/diffstat.c
$(ASAN)/tests/test_host_runtime: tests/native/test_host_runtime.c tests/native/harness.h host/host.h host/diffstat.h $(HOST_TESTED) $(ASAN)/libgastown.a
	@mkdir -p $(@D)
	@echo "  LD  $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -Itests/native -Ihost $< $(HOST_TESTED) $(ASAN)/libgastown.a -lm -o $@
# The schema images are checked against the migrations they were built from.
$(ASAN)/tests/test_schema_image: $(ASAN)/wasm/schema_image.o $(ASAN)/gen/schema_image_gen.o

test-native: $(TEST_BIN)
	@./scripts/run-native-tests.sh $(TEST_BIN)

# ---- fuzzing: one libFuzzer target per entry point that takes outside bytes (docs/testing.md) -----
FUZZ_SRC  := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(FUZZ_SRC))
FUZZ_LD   := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# Seconds each target runs under `make fuzz`; fuzz-smoke is the short run for CI.
FUZZ_SECONDS ?= 60

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h tests/native/harness.h $(FUZZ)/libgastown.a
	@mkdir -p $(@D)
	@echo "  LD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LD) -Itests/fuzz -Itests/native $< $(FUZZ)/libgastown.a -lm -o $@
# The agent host's pure readers: the metering proxy's usage and the start request, with its signature.
$(FUZZ)/fuzz_host: tests/fuzz/fuzz_host.c tests/fuzz/fuzz.h host/host.h host/usage.c host/start.c host/sign.c \
		host/util.c host/runtime.c host/diffstat.c $(FUZZ)/libgastown.a
	@mkdir -p $(@D)
	@echo "  LD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LD) -Itests/fuzz -Itests/native -Ihost $< host/usage.c host/start.c host/sign.c \
		host/util.c host/runtime.c host/diffstat.c $(FUZZ)/libgastown.a -lm -o $@
# gt's reading of the town's answers: the target includes cli/script.c (its parser is static), and
# gt.c's main is renamed so libFuzzer's is the program's.
FUZZ_CLI := $(filter-out cli/script.c cli/gt.c,$(CLI_SRC))
$(FUZZ)/fuzz_gt: tests/fuzz/fuzz_gt.c tests/fuzz/fuzz.h $(CLI_SRC) cli/cli.h host/diffstat.c $(FUZZ)/libgastown.a
	@mkdir -p $(@D)
	@echo "  LD  $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_LD) -Itests/fuzz -Itests/native -Icli -Ihost $< $(FUZZ_CLI) host/diffstat.c \
		cli/gt.c -Dmain=gt_main $(FUZZ)/libgastown.a -lmicrohttpd -lcurl -lpthread -lm -o $@

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh $(FUZZ_BIN)

fuzz-smoke: $(FUZZ_BIN)
	@FUZZ_SECONDS=5 ./scripts/fuzz.sh $(FUZZ_BIN)

# ---- a fault at every host call (tests/fault, docs/testing.md) -----------------------------------
# The wasm layer built natively over a fake host; vfs.c's SQLite entry points are renamed, since
# native SQLite brings its own OS layer and the block VFS is registered over it.
FAULT := $(ASAN)/fault
$(FAULT)/vfs.o: wasm/vfs.c wasm/abi.h wasm/journal.h wasm/schema_image.h wasm/vfs.h src/engine.h | check-deps
	@mkdir -p $(@D)
	@echo "  CC  $< -> $(FAULT)"
	$(Q)$(CC) $(ASAN_CFLAGS) -Iwasm -Dsqlite3_os_init=vfs_os_init -Dsqlite3_os_end=vfs_os_end -c $< -o $@
$(FAULT)/fault: tests/fault/fault.c wasm/exports.c wasm/abi.h tests/native/harness.h $(FAULT)/vfs.o \
		$(ASAN)/wasm/journal.o $(ASAN)/wasm/schema_image.o $(ASAN)/gen/schema_image_gen.o $(ASAN)/libgastown.a
	@echo "  LD  $@"
	$(Q)$(CC) $(ASAN_CFLAGS) -Iwasm -Itests/native $< $(filter %.o,$^) $(ASAN)/libgastown.a -lm -o $@

# Every point of every path; the figures go to build/prove/fault.json for `make prove`.
fault: $(FAULT)/fault
	@mkdir -p $(BUILD)/prove
	@$(FAULT)/fault $(BUILD)/prove/fault.json

# The short mode `make test` runs: a spread of points per path.
test-fault: $(FAULT)/fault
	@mkdir -p $(BUILD)/prove
	@FAULT_QUICK=1 $(FAULT)/fault $(BUILD)/prove/fault-quick.json

# ---- wasm ----------------------------------------------------------------------------------------
$(WASM)/gastown.wasm: $(call ENGINE_OBJS,$(WASM)) $(call WASM_LAYER,$(WASM))
	@echo "  LD  $@"
	$(Q)$(WCC) $(WASM_LDFLAGS) $^ -o $(WASM)/gastown.raw.wasm
	$(Q)wasm-opt $(WASM_OPT_FEATURES) $(WASM_OPT_LEVEL) --converge --strip-debug --strip-producers $(WASM)/gastown.raw.wasm -o $@
	@./scripts/wasm-size.sh $@

wasm: $(WASM)/gastown.wasm

$(WASM_EMCC)/gastown.wasm: $(call ENGINE_OBJS,$(WASM_EMCC)) $(call WASM_LAYER,$(WASM_EMCC))
	@echo "  LD  $@"
	$(Q)$(EMCC) $(EMCC_LDFLAGS) $^ -o $@
	@./scripts/wasm-size.sh $@

wasm-emcc: $(WASM_EMCC)/gastown.wasm

# ---- dashboard: SolidJS built by Vite into the worker's static assets -------------------------------
DASH_SRC := $(shell find dashboard -type f -not -name README.md 2>/dev/null)
$(BUILD)/dashboard/index.html: $(DASH_SRC) package-lock.json | check-deps
	@echo "  VITE dashboard -> $(BUILD)/dashboard"
	$(Q)node_modules/.bin/vite build --config dashboard/vite.config.js --logLevel warn

dashboard: $(BUILD)/dashboard/index.html

# The browser test saves its screenshots under build/screenshots; this refreshes the ones docs show.
screenshots: $(WASM)/gastown.wasm $(NATIVE)/gt $(NATIVE)/gastown-host $(BUILD)/dashboard/index.html
	GASTOWN_SCREENSHOTS=docs/screenshots node --test --test-concurrency=1 tests/worker/browser.test.mjs tests/worker/browser-integrations.test.mjs

# ---- tests, dev, bench ---------------------------------------------------------------------------
test: check-layers check-errors check-owners test-build test-native test-fault test-worker test-soak prove-quick

# Everything the tests run, built first with every core: SQLite alone is compiled five times (native,
# ASan, wasm, emscripten, fuzzing), and one after another that was a quarter of `make test`. The
# tests themselves then run one kind at a time.
TEST_ARTIFACTS := $(TEST_BIN) $(FAULT)/fault $(WASM)/gastown.wasm $(WASM_EMCC)/gastown.wasm $(NATIVE)/gt \
	$(NATIVE)/gastown-host $(BUILD)/dashboard/index.html $(FUZZ_BIN)
test-build:
	@$(MAKE) --no-print-directory -j$(shell nproc 2>/dev/null || echo 2) $(TEST_ARTIFACTS)

# The proofs of docs/reliability.md: the short run closes `make test`; the full one writes the table.
prove-quick:
	@./scripts/prove.sh --quick
prove:
	@./scripts/prove.sh

# The crash soak (tests/soak/soak.mjs): kill -9 of workerd and the agent host under load, invariants
# checked; figures into build/prove/soak.json. The short one in `make test` writes soak-quick.json.
SOAK_SECONDS ?= 600
SOAK_AGENTS ?= 200
SOAK_DEPS = $(WASM)/gastown.wasm $(NATIVE)/gt $(NATIVE)/gastown-host $(BUILD)/dashboard/index.html
soak: $(SOAK_DEPS)
	@node tests/soak/soak.mjs --seconds $(SOAK_SECONDS) --agents $(SOAK_AGENTS) --out $(BUILD)/prove/soak.json
test-soak: $(SOAK_DEPS)
	@node tests/soak/soak.mjs --seconds 60 --agents 24 --out $(BUILD)/prove/soak-quick.json

# No engine file includes a header of a higher layer (docs/architecture.md, "Layers").
check-layers:
	@./scripts/check-layers.sh

# No error is cleared by hand, every step goes through db.c (docs/architecture.md, "Errors").
check-errors:
	@./scripts/check-errors.sh

# Only a table's owner names it in SQL (docs/architecture.md, "Tables and their owners").
check-owners:
	@./scripts/check-owners.sh

# Two test files at a time: most of a worker test is waiting on workerd, the host or Chromium, and
# each file starts its own on ports of its own; one at a time took 560 s of CI's 20 minutes, two 350 s.
test-worker: $(WASM)/gastown.wasm $(WASM_EMCC)/gastown.wasm $(NATIVE)/gt $(NATIVE)/gastown-host $(BUILD)/dashboard/index.html
	node --test --test-concurrency=2 tests/worker/

dev: $(WASM)/gastown.wasm $(NATIVE)/gt $(NATIVE)/gastown-host $(BUILD)/dashboard/index.html
	@./scripts/dev.sh

bench: $(WASM)/gastown.wasm
	node bench/bench.mjs

# Issue 21's figures over BENCH_RUNS runs of the bench (min / median / max against each target).
BENCH_RUNS ?= 5
bench-targets: $(WASM)/gastown.wasm
	node bench/targets.mjs $(BENCH_RUNS)

# Instructions per engine call (callgrind): exact, whatever else the machine is doing.
$(NATIVE)/bench-calls: bench/native-calls.c tests/native/harness.h $(NATIVE)/libgastown.a
	$(CC) $(NATIVE_CFLAGS) -Itests/native $< $(NATIVE)/libgastown.a -lm -o $@

bench-native: $(NATIVE)/bench-calls
	@command -v valgrind >/dev/null || { echo "bench-native needs valgrind (apt-get install valgrind)"; exit 1; }
	@# Two runs, 1 call and 2001: the difference is 2000 calls without the open and the migrations
	@# of a fresh database, which grow with every migration and would otherwise be counted in.
	@for n in 1 2001; do valgrind --tool=callgrind --callgrind-out-file=$(NATIVE)/callgrind-$$n.out $(NATIVE)/bench-calls $$n 2>&1 \
		| awk '/refs:/ { gsub(",", "", $$4); print $$4 }'; done \
		| paste -sd' ' | awk '{ printf "engine: %d instructions per write call (calls 2 to 2001, whole program: the bench parses each answer too)\n", ($$2 - $$1) / 2000 }'

# Instructions per webhook delivery (an octokit issues.opened for the rig: bead, link, Mayor message,
# effect), under callgrind; HOOK_DELIVERIES, BENCH_OPEN_BEADS (the town's open beads before the first).
HOOK_DELIVERIES ?= 60
bench-native-hooks: $(NATIVE)/bench-calls
	@command -v valgrind >/dev/null || { echo "bench-native-hooks needs valgrind (apt-get install valgrind)"; exit 1; }
	@node bench/hook-payload.mjs >$(NATIVE)/hook-payload.json
	@for n in 10 $(HOOK_DELIVERIES); do valgrind --tool=callgrind --callgrind-out-file=$(NATIVE)/callgrind-hooks-$$n.out \
		$(NATIVE)/bench-calls $$n hooks $(NATIVE)/hook-payload.json 2>&1 | awk '/refs:/ { gsub(",", "", $$4); print $$4 }'; done \
		| paste -sd' ' | awk -v n=$(HOOK_DELIVERIES) '{ printf "engine: %d instructions per webhook delivery (deliveries 11 to %d, whole program: the bench signs each too)\n", ($$2 - $$1) / (n - 10), n }'

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -rf $(DEPS) node_modules .state
