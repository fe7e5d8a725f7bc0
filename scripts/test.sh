#!/usr/bin/env bash
# Installs everything the tests need, then runs every test. Used by README and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# Browser tests use Debian's Chromium and CJK fonts (never a browser download).
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null
  else
    echo "Chromium or CJK fonts missing: run 'sudo apt-get install chromium chromium-driver fonts-noto-cjk'" >&2
  fi
fi
python -m pip install -q -r requirements-dev.txt
python -m pytest "$@"
