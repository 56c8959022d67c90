# Two commands for a fresh machine (see README):
#   make notebooks   set up, then execute all notebooks into build/ (.ipynb + .html)
#   make test        set up, then run the tests (helpers + every notebook, offline preset)
# and for CI (.ci/run calls both):
#   make test-colab  a second venv with Colab's versions (constraints/colab.txt), built by the notebooks'
#                    Colab cell itself; every notebook again, as in Colab (its checked lines must be the
#                    committed ones), and the widget tests there
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
COLAB_VENV ?= .venv-colab
COLAB_PY   := $(COLAB_VENV)/bin/python

# A local folder that already holds the photos (workshop USB stick, CI's ../shared copy).
ifneq ($(wildcard ../shared/data/images/SOURCES.csv),)
export EMBEDDINGS_IMAGE_MIRROR ?= $(abspath ../shared/data/images)
endif

.PHONY: setup notebooks test test-colab colab-constraints prepare-workshop bench sync clean

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

# torch and torchvision come from $(VENV) (Colab's CPU builds do not install here); see tools/colab_venv.py
$(COLAB_VENV)/.installed: $(VENV)/.installed constraints/colab.txt requirements.txt requirements-scale.txt \
		helpers/colab.py tools/colab_install.py tools/colab_venv.py
	$(PY) tools/colab_venv.py $(COLAB_VENV) --torch-from $(VENV)

test-colab: setup $(COLAB_VENV)/.installed
	EMBEDDINGS_COLAB_VENV=1 PYTHONPATH=$(CURDIR) $(COLAB_PY) -m pytest -p no:cacheprovider \
		tests/test_colab_versions.py tests/test_colab_install.py tests/test_widget.py tests/test_colab.py

# Colab moves every few months: make colab-constraints BACKEND_INFO=path/to/a/clone/of/googlecolab/backend-info
colab-constraints: setup
	$(PY) tools/colab_constraints.py $(BACKEND_INFO)

# photos only; `make prepare-workshop ARTICLE=1` also downloads the article's models (EMBEDDINGS_MODELS=article)
prepare-workshop: setup
	$(PY) tools/prepare_workshop.py $(if $(ARTICLE),--article)

bench: setup
	$(PY) benchmarks/bench_text.py
	$(PY) benchmarks/bench_images.py
	$(PY) benchmarks/bench_rerank.py
	$(PY) benchmarks/bench_collection.py
	$(PY) benchmarks/bench_ann.py
	$(PY) benchmarks/bench_scale.py
	$(PY) benchmarks/bench_duplicates.py

sync: setup
	$(PY) tools/sync_notebooks.py

clean:
	rm -rf build .pytest_cache $(COLAB_VENV)

# Execute every notebook (offline preset, strict checks) and write it back into notebooks/ with clean outputs
# (see tools/record_notebooks.py); commit the result. `make record NB=notebooks/05_...ipynb` records one.
.PHONY: record
record: setup
	$(PY) tools/record_notebooks.py $(NB)
