# Linli: two commands on a fresh machine — `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := backend

.PHONY: run test lint console-strings install install-test migrate seed serve test-sqlite test-postgresql bench clean
.PHONY: bench-load

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask demo seed

# The demo: embedded SQLite under instance/, the demo community, the development login on,
# the API and console served with the notification worker beside them (one command, one
# Ctrl-C stops both).
run: seed
	@$(BIN)/flask demo accounts
	@$(BIN)/flask calendar status
	@echo "Linli on http://$(HOST):$(PORT)  (console: http://$(HOST):$(PORT)/console/, API docs: http://$(HOST):$(PORT)/api/v1/docs)"
	DEV_LOGIN=1 exec $(BIN)/flask demo-serve --host $(HOST) --port $(PORT)

# The lint first (seconds), then every suite on SQLite; again on PostgreSQL when
# TEST_DATABASE_URL is set.
test: install-test lint test-sqlite test-postgresql test-miniprogram

# Which way imports point (the contracts of [tool.importlinter] in pyproject.toml) and
# ruff's error rules ([tool.ruff]).
lint: install-test
	$(BIN)/lint-imports
	$(BIN)/ruff check backend tests bench migrations
	$(BIN)/python -m backend.console.strings --check

# The console's English (backend/console/translations/en/LC_MESSAGES/messages.po): every
# _("…") of backend/console's Python and templates extracted and merged into the .po,
# existing English kept; then fill in the empty msgstr lines it lists. `make lint` runs
# the same with --check (fails on a stale .po or a msgid without English).
console-strings: install-test
	$(BIN)/python -m backend.console.strings

test-sqlite:
	env -u TEST_DATABASE_URL $(BIN)/pytest -n 2 -q

test-postgresql:
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$TEST_DATABASE_URL"; \
		$(BIN)/pytest -n 2 -q; \
	else \
		echo "TEST_DATABASE_URL is not set: the PostgreSQL run is skipped (.ci/run sets it)."; \
	fi

.PHONY: test-miniprogram
# The mini-program (jest + miniprogram-simulate); its contract test starts the API from the venv.
test-miniprogram: install-test
	cd miniprogram_stub && npm ci --no-audit --no-fund && npx jest --ci

# Bounded (a few minutes): the queue at 100,000 tickets (bench/queue.py without --quick
# for 1,000,000), creation for 5 s per load, then Linli against the bare app of
# bench/floor_app.py (two alternating rounds of 5 s loads); PostgreSQL too when
# TEST_DATABASE_URL is set.
BENCH_DB = $(if $(TEST_DATABASE_URL),--db both --pg-url $(TEST_DATABASE_URL),--db sqlite)

bench: install-test
	$(BIN)/python bench/locate.py
	$(BIN)/python bench/queue.py --quick $(BENCH_DB)
	$(BIN)/python bench/create.py --seconds 5 $(BENCH_DB)
	$(BIN)/python bench/floor.py --seconds 5 --rounds 2 $(BENCH_DB)

# The mixed load (bench/load.py): about 1.5 minutes per database; PostgreSQL too when
# TEST_DATABASE_URL is set. Exits non-zero if a 2xx report is not in the database exactly once.
bench-load: install-test
	$(BIN)/python bench/load.py $(BENCH_DB)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .import_linter_cache
