# Two commands a new user needs: `make report` and `make test`. Both set up .venv first (once).
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup report test bench ingest example lab explore
EXPLORE_PORT ?= 8866
setup:
	@bash scripts/setup.sh

report: setup          ## ingest the raw data, then build every report from it
	$(BIN)/kpi report

test:                  ## lint and format (ruff), then library, CLI, notebook (nbval), end-to-end and browser tests
	@bash scripts/setup.sh --browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

bench: setup           ## benchmarks (scale to 10^7 rows, report batch vs floor, end to end); see benchmarks/RESULTS.md
	$(BIN)/python benchmarks/run.py

ingest: setup
	$(BIN)/kpi ingest

example: setup         ## regenerate the shipped example dataset (seeded; byte-identical)
	$(BIN)/kpi make-example

lab: setup            ## JupyterLab on 127.0.0.1 (as root too), the notebooks folder open
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks/

explore: setup        ## the explorer (notebooks/05_explore) as a web page with no code: http://127.0.0.1:$(EXPLORE_PORT)/ ; Ctrl+C stops it
	JUPYTER_PATH=$(CURDIR)/notebooks $(BIN)/voila notebooks/05_explore.ipynb --template=offline --VoilaExporter.language_code=zh --no-browser --Voila.ip=127.0.0.1 --port=$(EXPLORE_PORT)
