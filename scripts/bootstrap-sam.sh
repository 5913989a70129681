#!/usr/bin/env bash
# SAM CLI + cfn-lint (.venv-sam) and checkov (.venv-checkov) live in venvs of their own:
# their pins clash with each other's and with moto's.
set -euo pipefail
cd "$(dirname "$0")/.."
py="$(pyenv root 2>/dev/null)/versions/3.13.0/bin/python3.13"
[ -x "$py" ] || py=$(command -v python3.13)
install() { # venv, packages...
  local venv=$1; shift
  [ -f "$venv/.installed" ] && return 0
  [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$@"
  touch "$venv/.installed"
}
install .venv-sam aws-sam-cli==1.170.0 cfn-lint==1.58.0
install .venv-checkov checkov==3.3.30
