# ecs-netaudit. `make demo` and `make test` each do all of their own set-up on a fresh machine.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
# the directory of Python 3.13 (sam build looks for python3.13 on PATH); same pick as bootstrap.sh
PY313 := $(patsubst %/,%,$(dir $(shell scripts/find-python.sh 2>/dev/null)))
SAMBIN := .venv-sam/bin
export SAM_CLI_TELEMETRY := 0

.PHONY: setup docker browser test demo bench bench-5000 e2e lint asl asl-check sam-tools sam-validate sam-build cfn-lint checkov iam-lint shellcheck clean

setup:            ## venv on Python 3.13 with the pinned packages, and the npm checkers (reused when up to date)
	@scripts/bootstrap.sh
	@scripts/bootstrap-node.sh

docker:           ## a Docker engine that answers + the busybox image (reused when there)
	@scripts/ensure-docker.sh

test: setup docker browser sam-tools ## the whole suite, Docker tests included
	$(BIN)/pytest

browser:          ## Debian's chromium for the HTML report test (it skips without one, fails under CI)
	@scripts/ensure-chromium.sh || echo "no chromium: the browser test will skip"

demo: setup docker sam-tools ## the real state machine auditing a real none-mode container, locally
	$(BIN)/netaudit demo --network-mode none

e2e: setup        ## end-to-end tests against a deployed stack (NETAUDIT_E2E_STACK=<stack name>)
	$(BIN)/pytest -m e2e tests/e2e -rs

# Every bench runs and prints its table; a missed target (SLOW) fails `make bench` at the end.
bench: setup docker sam-tools ## benchmarks that print numbers
	@rc=0; \
	$(BIN)/python bench/bench_probe.py || rc=1; \
	$(BIN)/python bench/bench_demo.py || rc=1; \
	$(BIN)/python bench/bench_cluster.py --scale-instances 500 || rc=1; \
	$(BIN)/python bench/bench_org.py --accounts 20 --instances-per-account 25 || rc=1; \
	exit $$rc  # the 5,000-instance rows: make bench-5000

bench-5000: setup sam-tools ## the scale audit at ECS's largest cluster: 5,000 instances / 50,000 tasks, clean and with faults
	nice -n 10 $(BIN)/python bench/bench_cluster.py --scale-instances 5000
	nice -n 10 $(BIN)/python bench/bench_org.py --accounts 20 --instances-per-account 250

lint: setup asl-check sam-validate cfn-lint checkov iam-lint shellcheck ## ruff, mypy, the ASL, the template, the IAM policies and the probe (shellcheck)
	$(BIN)/ruff check functions local cli tests bench statemachine  # C901 <= 12, PLR0913 <= 6: pyproject
	$(BIN)/mypy
	$(BIN)/python -m netaudit.models.evidence --check  # docs/evidence.schema.json is the model's schema

asl:              ## rebuild statemachine/netaudit.asl.json from statemachine/build_asl.py
	$(BIN)/python statemachine/build_asl.py

asl-check: setup  ## the committed ASL is the builder's output, and asl-validator accepts it
	$(BIN)/python statemachine/build_asl.py --check || { echo "statemachine/netaudit.asl.json is stale: run make asl"; exit 1; }
	$(BIN)/python -m netaudit_local.asl_check

sam-tools:
	@scripts/bootstrap-sam.sh

sam-validate: sam-tools
	PATH=$(PY313):$$PATH $(SAMBIN)/sam validate --lint

sam-build: sam-tools
	PATH=$(PY313):$$PATH $(SAMBIN)/sam build

cfn-lint: sam-tools
	$(SAMBIN)/cfn-lint template.yaml member/netaudit-member.yaml

shellcheck:       ## the probe script (POSIX sh) and its copy in template.yaml
	@scripts/ensure-shellcheck.sh
	shellcheck -s sh probe/netaudit-probe.sh
	$(BIN)/python -m netaudit_local.template --check

checkov: sam-tools
	.venv-checkov/bin/checkov --config-file .checkov.yaml -f template.yaml

# parliament over every IAM policy of the template as deployed (waivers: netaudit_local/iam/lint.py):
# the roles as aws-sam-translator makes them (.venv-sam), SAM's policy templates expanded by SAM
iam-lint: setup sam-tools
	$(BIN)/python -m netaudit_local.iam.lint .venv-parliament/bin/python

clean:
	rm -rf .aws-sam build *.egg-info .pytest_cache .mypy_cache .ruff_cache
