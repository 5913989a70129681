#!/usr/bin/env bash
# Creates .venv on Python 3.13 (pyenv's, else python3.13 on PATH) and installs the project with
# its pinned dev tools. Re-runs only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then exit 0; fi
py=""
if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.13.0/bin/python3.13" ]; then
  py="$(pyenv root)/versions/3.13.0/bin/python3.13"
elif command -v python3.13 >/dev/null 2>&1; then
  py=$(command -v python3.13)
else
  echo "bootstrap: Python 3.13 not found (pyenv 3.13.0 or python3.13 on PATH)" >&2; exit 1
fi
[ -x .venv/bin/python ] || "$py" -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e ".[dev]"
touch "$stamp"
