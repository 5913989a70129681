#!/bin/sh
# Debian's chromium, for the test that opens the HTML report in a real (headless) browser.
# Reused when present; installed with apt when missing and running as root. Exit 1 if not there.
set -eu
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
        || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; } \
        || true
fi
command -v chromium >/dev/null 2>&1 || { echo "chromium is not installed and could not be installed" >&2; exit 1; }
