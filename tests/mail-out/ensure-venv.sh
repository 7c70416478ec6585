#!/usr/bin/env bash
# Creates (once) the Python virtualenv of the outbound email tests, with the pinned packages of
# requirements.txt, and prints its python's path on the last line. Safe to run concurrently.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${RAPPORT_MAIL_VENV:-$HOME/.cache/rapport-venv/mail-out}"
stamp="$venv/.requirements"
if ! cmp -s "$here/requirements.txt" "$stamp" 2>/dev/null; then
  mkdir -p "$(dirname "$venv")"
  exec 9>"$venv.lock"
  flock 9
  if ! cmp -s "$here/requirements.txt" "$stamp" 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
    cp "$here/requirements.txt" "$stamp"
  fi
fi
echo "$venv/bin/python"
