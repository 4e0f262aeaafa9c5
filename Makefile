# cppllm: every target uses the virtualenv at .venv (created by `make install`).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= all
OUT ?= data/m0
JOBS ?= 2
FRESH ?=
DRY_RUN ?=
export HF_HUB_OFFLINE ?=

# `make gpu-check` on a lent H100/H200 (< 8 min; JSON in runs/gpu_check.json); DRY_RUN=1: the plumbing on CPU.
.PHONY: gpu-check
gpu-check: install
	$(BIN)/python -m cppllm.gpucheck $(if $(DRY_RUN),--dry-run,)

.PHONY: install demo demo-long rl-demo test test-slow test-slurm lint format bench data-m0 data-m1 data-m2 train-m0 train-m1 clean

install: $(STAMP)

# Torch is pinned to the CPU build first only when no torch is installed, so GPU users keep theirs.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	touch $(STAMP)

demo: install
	$(BIN)/python -m cppllm.demo $(if $(FRESH),--fresh,)

# RL with verifiable rewards on CPU (minutes): pretrain -> SFT -> GRPO on generated completion tasks.
rl-demo: install
	OMP_NUM_THREADS=1 $(BIN)/python -m cppllm.train.rl.demo --out runs/rl-demo --png docs/rl_demo.png

# The CPU recipe for a model whose completions compile (~1 h on 2 cores): compile rate against steps.
demo-long: install
	$(BIN)/python -m cppllm.demo --long $(if $(FRESH),--fresh,)

test: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -n $(JOBS) -m "not slow and not slurm" --timeout 600 -q

test-slow: install
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest -m "slow and not slurm" --timeout 1800 -q

test-slurm: install
	bash scripts/slurm_test.sh

lint: install
	$(BIN)/ruff format --check cppllm pipelines tests benchmarks
	$(BIN)/ruff check cppllm pipelines tests benchmarks
	PYTHONPATH=$(CURDIR) $(BIN)/lint-imports --no-cache  # the import contract in pyproject.toml

format: install
	$(BIN)/ruff format cppllm pipelines tests benchmarks
	$(BIN)/ruff check --fix cppllm pipelines tests benchmarks

bench: install
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

data-m0: install
	$(BIN)/python -m pipelines.m0 --output $(OUT) $(if $(DRY_RUN),--dry-run,)

# M1/M2 read each source up to its share of the token budget; TOKENIZER=DIR reuses a tokenizer (e.g. M0's),
# CALIBRATE=DIR takes bytes/token from a finished run, TOKEN_BUDGET=N overrides 20 x the preset's params.
DATA_ARGS = $(if $(DRY_RUN),--dry-run,) $(if $(TOKENIZER),--tokenizer $(TOKENIZER),) \
	$(if $(CALIBRATE),--calibrate $(CALIBRATE),) $(if $(TOKEN_BUDGET),--token-budget $(TOKEN_BUDGET),)

data-m1: install
	$(BIN)/python -m pipelines.m1 --output data/m1 $(DATA_ARGS)

data-m2: install
	$(BIN)/python -m pipelines.m2 --output data/m2 $(DATA_ARGS) \
		$(if $(SYNTHETIC_ENDPOINT),--synthetic-endpoint $(SYNTHETIC_ENDPOINT) --synthetic-model $(SYNTHETIC_MODEL),)

# Training recipes: one GPU by default, `GPUS=8` runs torchrun on all GPUs of the node (DDP; add
# TRAIN_ARGS=--fsdp for presets that do not fit one GPU). A rerun resumes from runs/mN's latest checkpoint.
# Extra trainer flags go in TRAIN_ARGS, e.g. `make train-m1 GPUS=8 TRAIN_ARGS="--compile --wandb cppllm"`.
GPUS ?= 1
TRAIN_ARGS ?=
LAUNCH = $(if $(filter 1,$(GPUS)),$(BIN)/python,$(BIN)/torchrun --standalone --nproc_per_node=$(GPUS))

train-m0: install
	$(LAUNCH) -m cppllm.train --preset d12 --data data/m0 --out runs/m0 --resume auto $(TRAIN_ARGS)

train-m1: install
	$(LAUNCH) -m cppllm.train --preset d20 --data data/m1 --out runs/m1 --resume auto $(TRAIN_ARGS)

clean:
	rm -rf data/demo runs/demo .pytest_cache
