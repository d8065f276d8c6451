# Two commands a new user needs: `make report` and `make test`. Both set up .venv first (once).
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup report check test bench ingest example lab explore screenshots
# pytest on every core, in units of work the root conftest.py draws: a notebook's cells, and a file's tests sharing a module fixture, stay together
PYTEST_PARALLEL ?= -n auto --dist loadscope --no-loadscope-reorder
EXPLORE_PORT ?= 8866
# make lab's folder of notebook copies, and any further jupyter lab options (e.g. LAB_ARGS=--port=8890)
LAB_DIR ?= lab
LAB_ARGS ?=
# the explorer: its address (another only behind the office's reverse proxy), and how long a page's kernel
# may stay idle with no browser attached before it is shut down
EXPLORE_IP ?= 127.0.0.1
EXPLORE_IDLE_SECONDS ?= 120
# kernels kept ready, each with the data loaded and the page drawn (about 200 MB each)
EXPLORE_POOL ?= 2
setup:
	@bash scripts/setup.sh

report: setup          ## ingest the raw data, then build every report from it
	$(BIN)/kpi report

check: setup           ## the fast lane (under a minute): ruff, the import contracts, the unit tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests -m "not integration" $(PYTEST_PARALLEL)

test:                  ## everything CI runs: ruff, the import contracts, unit, CLI, notebook (nbval), end-to-end and browser tests
	@bash scripts/setup.sh --browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_PARALLEL)

bench: setup           ## benchmarks (scale to 10^7 rows, report batch vs floor, end to end); see benchmarks/RESULTS.md
	$(BIN)/python benchmarks/run.py

ingest: setup
	$(BIN)/kpi ingest

screenshots:            ## every output kind as a reader gets it (HTML at 1366 and 390 px, PDFs, xlsx and docx) → docs/screenshots/
	@bash scripts/setup.sh --browser
	$(BIN)/python scripts/screenshots.py

example: setup         ## regenerate the shipped example dataset (seeded; byte-identical)
	$(BIN)/kpi make-example

lab: setup            ## JupyterLab in Chinese on 127.0.0.1, on copies of the notebooks in $(LAB_DIR) (the shipped ones stay as they are)
	$(BIN)/python scripts/lab.py $(LAB_DIR) -- $(LAB_ARGS)

explore: setup        ## the explorer (notebooks/05_explore) as a web page with no code, behind a token; Ctrl+C stops it
	@token="$${EXPLORE_TOKEN:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(24))')}"; \
	echo "探索页 / the explorer: http://$(EXPLORE_IP):$(EXPLORE_PORT)/?token=$$token"; \
	JUPYTER_PATH=$(CURDIR)/notebooks VOILA_APP_IP=$(EXPLORE_IP) exec $(BIN)/python -m kpi.explore.server \
		notebooks/05_explore.ipynb --template=offline --VoilaExporter.language_code=zh --no-browser \
		--Voila.ip=$(EXPLORE_IP) --port=$(EXPLORE_PORT) --Voila.token="$$token" \
		--preheat_kernel=True --VoilaConfiguration.default_pool_size=$(EXPLORE_POOL) \
		"--VoilaConfiguration.extension_denylist=['jupyterlab-plotly','jupyterlab-jupytext']" \
		--MappingKernelManager.cull_interval=30 --MappingKernelManager.cull_idle_timeout=$(EXPLORE_IDLE_SECONDS)
