#!/usr/bin/env bash
# Creates .venv on Python 3.13 (scripts/find-python.sh) and installs the project with its pinned
# dev tools. Re-runs only when pyproject.toml changed; a .venv on another Python is made anew.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=.venv/.installed
on_313() { .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; }
if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && on_313; then exit 0; fi
py=$(scripts/find-python.sh)
if [ -e .venv ] && ! on_313; then
  echo "bootstrap: .venv is not a working Python 3.13 venv: making it anew" >&2
  rm -rf .venv
fi
[ -x .venv/bin/python ] || "$py" -m venv .venv
rm -f "$stamp"
.venv/bin/pip install -q --disable-pip-version-check -e ".[dev]"
touch "$stamp"
