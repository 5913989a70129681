#!/usr/bin/env bash
# SAM CLI + cfn-lint (.venv-sam), checkov (.venv-checkov) and parliament (.venv-parliament: it
# imports pkg_resources, gone from setuptools 81) live in venvs of their own:
# their pins clash with each other's and with moto's. A venv is reused while its stamp holds
# exactly the pins below (change a pin and the next run installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(scripts/find-python.sh)
install() { # venv, packages...
  local venv=$1; shift
  local want="$*"
  [ -f "$venv/.installed" ] && [ "$(cat "$venv/.installed")" = "$want" ] && return 0
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  rm -f "$venv/.installed"
  "$venv/bin/pip" install -q --disable-pip-version-check "$@"
  echo "$want" >"$venv/.installed"
}
install .venv-sam aws-sam-cli==1.170.0 cfn-lint==1.58.0
install .venv-checkov checkov==3.3.30
install .venv-parliament parliament==1.6.4 setuptools==80.9.0
