#!/usr/bin/env bash
# shellcheck for `make lint` (the probe script): Debian's package, installed when missing (as root).
set -euo pipefail
command -v shellcheck >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-shellcheck: installing shellcheck" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q shellcheck >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q shellcheck >/dev/null; }
fi
command -v shellcheck >/dev/null 2>&1 || { echo "ensure-shellcheck: shellcheck is missing" >&2; exit 1; }
