# Two commands for a fresh machine (see README):
#   make notebooks   set up, then execute all notebooks into build/ (.ipynb + .html)
#   make test        set up, then run the tests (helpers + every notebook, offline preset)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

# A local folder that already holds the photos (workshop USB stick, CI's ../shared copy).
ifneq ($(wildcard ../shared/data/images/SOURCES.csv),)
export EMBEDDINGS_IMAGE_MIRROR ?= $(abspath ../shared/data/images)
endif

.PHONY: setup notebooks test prepare-workshop bench sync clean

$(VENV)/.installed: requirements.txt requirements-scale.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

setup: $(VENV)/.installed

notebooks: setup
	$(PY) tools/run_notebooks.py --out build

test: setup
	$(PY) -m pytest

prepare-workshop: setup
	$(PY) -m helpers.prepare

bench: setup
	$(PY) benchmarks/bench_text.py
	$(PY) benchmarks/bench_images.py
	$(PY) benchmarks/bench_rerank.py
	$(PY) benchmarks/bench_collection.py
	$(PY) benchmarks/bench_ann.py
	$(PY) benchmarks/bench_scale.py

sync: setup
	$(PY) tools/sync_notebooks.py

clean:
	rm -rf build .pytest_cache

# Execute every notebook (offline preset, strict checks) and write it back into notebooks/ with clean outputs
# (see tools/record_notebooks.py); commit the result. `make record NB=notebooks/05_...ipynb` records one.
.PHONY: record
record: setup
	$(PY) tools/record_notebooks.py $(NB)
