# ecs-netaudit. `make demo` and `make test` each do all of their own set-up on a fresh machine.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
# the directory of Python 3.13 (sam build looks for python3.13 on PATH); same pick as bootstrap.sh
PY313 := $(patsubst %/,%,$(dir $(shell scripts/find-python.sh 2>/dev/null)))
SAMBIN := .venv-sam/bin
export SAM_CLI_TELEMETRY := 0

.PHONY: setup docker test demo bench lint sam-tools sam-validate sam-build cfn-lint checkov shellcheck clean

setup:            ## venv on Python 3.13 with the pinned packages, and the npm checkers (reused when up to date)
	@scripts/bootstrap.sh
	@scripts/bootstrap-node.sh

docker:           ## a Docker engine that answers + the busybox image (reused when there)
	@scripts/ensure-docker.sh

test: setup docker ## the whole suite, Docker tests included
	$(BIN)/pytest

demo: setup docker ## the real state machine auditing a real none-mode container, locally
	$(BIN)/netaudit demo --network-mode none

bench: setup docker ## benchmarks that print numbers
	$(BIN)/python bench/bench_probe.py
	$(BIN)/python bench/bench_demo.py
	$(BIN)/python bench/bench_cluster.py

lint: setup sam-validate cfn-lint checkov shellcheck ## ruff, mypy, the template checks and shellcheck
	$(BIN)/ruff check functions local tests bench
	$(BIN)/mypy

sam-tools:
	@scripts/bootstrap-sam.sh

sam-validate: sam-tools
	PATH=$(PY313):$$PATH $(SAMBIN)/sam validate --lint

sam-build: sam-tools
	PATH=$(PY313):$$PATH $(SAMBIN)/sam build

cfn-lint: sam-tools
	$(SAMBIN)/cfn-lint template.yaml

shellcheck:       ## the probe script (POSIX sh) and its copy in template.yaml
	@scripts/ensure-shellcheck.sh
	shellcheck -s sh probe/netaudit-probe.sh
	$(BIN)/python -m netaudit_local.template --check

checkov: sam-tools
	.venv-checkov/bin/checkov --quiet --compact --skip-download -f template.yaml --framework cloudformation

clean:
	rm -rf .aws-sam build *.egg-info .pytest_cache .mypy_cache .ruff_cache
