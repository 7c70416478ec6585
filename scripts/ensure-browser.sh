#!/usr/bin/env bash
# Makes sure a Chromium the browser tests can drive is installed: Debian's `chromium` package at
# /usr/bin/chromium (playwright-core never downloads a browser of its own). Prints its path.
#
#   scripts/ensure-browser.sh          # installs with apt-get when missing (needs root)
set -euo pipefail

CHROMIUM="${RAPPORT_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
  if [[ "$(id -u)" != "0" ]] && ! command -v sudo >/dev/null; then
    echo "$CHROMIUM is missing; install Debian's chromium package (apt-get install chromium) as root" >&2
    exit 1
  fi
  SUDO=""
  [[ "$(id -u)" == "0" ]] || SUDO="sudo"
  echo "==> installing chromium with apt-get" >&2
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2
fi
[[ -x "$CHROMIUM" ]] || { echo "chromium is still missing at $CHROMIUM" >&2; exit 1; }
echo "$CHROMIUM"
