# Every target installs what it needs: a fresh clone runs `make demo` or `make test` and nothing else.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?= -n auto --dist worksteal
UV_VERSION := 0.13.8

# Some machines set PYTHONDONTWRITEBYTECODE: then every pytest process rewrites the asserts of ~370 plugin
# modules again and every CLI or server a test starts compiles the toolkit again (about 1.5 s of CPU per
# pytest process). The caches go to __pycache__ folders, which git ignores.
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help install chromium team-servers go-toolchain generators generate check-generated lint lint-spec spec-check test test-heavy test-thorough contract mock demo bench bench-smoke clients docs clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

# uv installs the same pinned packages from the same index as pip, in 3 s where pip takes 25 s (measured on a
# fresh clone of this machine): most of what a fresh `make test` spent before its first test.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the toolkit with its development tools

generate: install ## Regenerate generated_client/ from openapi.yaml
	$(BIN)/python codegen/generate.py

check-generated: install ## Fail if generated_client/ differs from a fresh generation
	$(BIN)/python codegen/generate.py --check

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --silent

lint: install lint-spec ## ruff, mypy on hand-written code, no import circle (scripts/check_import_cycles.py), the spec (validator, Redocly, the generator's warnings)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python scripts/check_import_cycles.py
	$(BIN)/openapi-spec-validator openapi.yaml
	$(BIN)/python codegen/generate.py --check
	$(BIN)/python codegen/unasync.py --check

generators: install node_modules/.package-lock.json go-toolchain ## Python, TypeScript, Go and Java clients by openapi-generator and a TypeScript one by @hey-api/openapi-ts, each built where it can be (clients/generators.py)
	$(BIN)/python clients/generators.py

# Go and the one library the generated Go client imports, from Debian's packages (the Go module proxy is not
# reachable here); installed with apt-get when missing, which needs root.
go-toolchain:
	@command -v go >/dev/null && test -d /usr/share/gocode/src/gopkg.in/validator.v2 || { \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "make generators: no go, and not root to install it (apt-get install golang-go golang-gopkg-validator.v2-dev)"; \
	  else \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends golang-go golang-gopkg-validator.v2-dev >/dev/null; \
	  fi; }

spec-check: install node_modules/.package-lock.json ## Judge openapi.yaml against the last released spec (spec-history/; BASE=file-or-git-revision): structure, Specmatic, old examples and recordings; exit 1 on a change its version does not allow
	$(BIN)/python -m spec_gate $(if $(BASE),--base $(BASE))

lint-spec: node_modules/.package-lock.json ## Redocly's recommended rules on openapi.yaml (redocly.yaml)
	npx --no-install redocly lint openapi.yaml

clients: install node_modules/.package-lock.json ## TypeScript client into clients/typescript/build, type-checked, round trips (legacy, advanced) against the mock
	npx --no-install openapi-typescript openapi.yaml --default-non-nullable=false -o clients/typescript/build/kling-lipsync.d.ts
	npx --no-install tsc -p clients/typescript
	$(BIN)/python clients/roundtrip.py

docs: install node_modules/.package-lock.json ## The API reference, mock_server/assets/api-reference.html (served at /__mock__/docs)
	$(BIN)/python docs/build_docs.py

bench/node_modules/.package-lock.json: bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --silent

# The dashboard's browser tests drive Debian's chromium (Playwright's own download comes from a CDN that CI
# cannot reach). Installed with apt-get when missing, which needs root; otherwise those tests say how and skip.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "make test: no chromium, and not root to install it: the dashboard's browser tests will be skipped (apt-get install chromium)"; \
	  else \
	    echo "make test: installing Debian's chromium for the dashboard tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	  fi; }

# The team's mock (PostgreSQL shared by several servers, nginx in front): its tests and `make bench` start Debian's
# PostgreSQL server and nginx themselves (contract_tests/postgres.py). Installed with apt-get when missing (root).
team-servers:
	@{ ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && command -v nginx >/dev/null; } || { \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "make: no PostgreSQL server or nginx, and not root to install them: the team tests will be skipped (apt-get install postgresql nginx-light)"; \
	  else \
	    echo "make: installing Debian's PostgreSQL and nginx for the team's mock"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql nginx-light >/dev/null; \
	  fi; }

test: ## The test suite, but for the heavy tests (within two minutes on a fresh clone)
	@# pip and apt install side by side: a fresh clone waits for the longer of them, not for their sum.
	$(MAKE) --no-print-directory -j2 install chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m "not heavy"

test-heavy: ## The heavy tests: the wheel, the Node tools, the demo, the benchmarks, remote suite, mutants, serving stress (CI runs them)
	$(MAKE) --no-print-directory -j4 install node_modules/.package-lock.json bench/node_modules/.package-lock.json team-servers
	$(BIN)/python -m pytest $(PYTEST_ARGS) -m heavy

test-thorough: install ## Every test, heavy ones included, with ten times more hypothesis examples (nightly)
	HYPOTHESIS_PROFILE=thorough $(BIN)/python -m pytest $(PYTEST_ARGS)

BASE_URL ?=
TOKEN ?=
contract: install ## The contract suite against a running server (BASE_URL=... TOKEN=... [ALLOW_SPEND=1]) or over a recording (RECORDING=DIR)
	@test -n "$(BASE_URL)$(RECORDING)" || { echo "usage: make contract BASE_URL=http://127.0.0.1:8000/kling TOKEN=sk-... [ALLOW_SPEND=1] | make contract RECORDING=recordings/mine"; exit 2; }
	KLING_API_TOKEN="$(TOKEN)" $(BIN)/python -m pytest -p no:cacheprovider contract_tests/remote $(if $(BASE_URL),--base-url "$(BASE_URL)") $(if $(RECORDING),--recording "$(RECORDING)")

demo: install ## Start the mock, run text2video, audio2video and advanced jobs through the CLI, save the MP4s in out/
	$(BIN)/python demo/demo.py

bench: install team-servers ## Measure: mock vs Prism over HTTP, SQLite beside PostgreSQL (writes bench/RESULTS.md), crash safety, a soak, in-process speed
	$(BIN)/python bench/http_bench.py
	$(BIN)/python bench/crash_safety.py
	$(BIN)/python bench/soak.py
	$(BIN)/python -m pytest -p no:cacheprovider bench/test_inprocess.py --benchmark-columns=min,median,max,rounds

bench-smoke: install ## The benchmark scripts once, briefly, so they cannot rot (numbers are noise)
	$(BIN)/python bench/http_bench.py --smoke
	$(BIN)/python bench/crash_safety.py --smoke
	$(BIN)/python bench/soak.py --smoke
	$(BIN)/python -m pytest -p no:cacheprovider -q bench/test_inprocess.py --benchmark-disable

MOCK_ARGS ?=
mock: install ## Run the mock server on http://127.0.0.1:8000 (MOCK_ARGS="--clock virtual ...")
	$(BIN)/python -m mock_server $(MOCK_ARGS)

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis node_modules build clients/typescript/build
