#!/usr/bin/env bash
# Prints the path of the project's Python 3.13: pyenv's 3.13.0 (found through `pyenv root`, else
# $PYENV_ROOT or ~/.pyenv, so pyenv need not be on PATH), else a python3.13 on PATH that runs.
# Exit 1 with a message on stderr when there is none. The one place that picks the interpreter
# (bootstrap.sh, bootstrap-sam.sh, the Makefile's sam-build PATH and .ci/run all use it).
set -euo pipefail
for root in "$(pyenv root 2>/dev/null || true)" "${PYENV_ROOT:-}" "${HOME:-/root}/.pyenv"; do
  candidate="$root/versions/3.13.0/bin/python3.13"
  if [ -n "$root" ] && [ -x "$candidate" ]; then echo "$candidate"; exit 0; fi
done
# A pyenv shim answers to `command -v` even when 3.13 is not selected: ask the interpreter itself.
if found=$(python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null) && [ -n "$found" ]; then
  echo "$found"; exit 0
fi
echo "find-python: Python 3.13 not found (pyenv's 3.13.0 or python3.13 on PATH)" >&2
exit 1
