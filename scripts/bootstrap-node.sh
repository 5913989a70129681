#!/usr/bin/env bash
# Installs the npm checkers (package-lock.json) into node_modules/; re-runs only when the lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "bootstrap-node: npm missing: installing nodejs npm" >&2; apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
stamp=node_modules/.installed
if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ]; then exit 0; fi
npm ci --no-audit --no-fund --loglevel=error
touch "$stamp"
