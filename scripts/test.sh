#!/usr/bin/env bash
# The whole test suite: formatting, lints, every Rust test on SQLite and PostgreSQL, and the
# compatibility test that drives a real server with the official Intercom SDK, the email and Segment
# peers (smtplib, aiosmtpd, Segment's own libraries), the API contract (schemathesis against the
# OpenAPI document, both engines), and the browser
# tests of the messenger widget and the agent app.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rapport-target}"
export RAPPORT_TEST_POSTGRES_URL="${RAPPORT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

scripts/ensure-services.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo doc (a broken or private intra-doc link fails)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "== cargo test (SQLite and PostgreSQL)"
cargo test --workspace --no-fail-fast
echo "== Fuzz (bounded: each target's corpus, then 3 s of mutations)"
scripts/fuzz.sh --ci
echo "== Intercom SDK compatibility (intercom-client 7 over HTTP against a real server)"
cargo build -p rapport
RAPPORT_BIN="$CARGO_TARGET_DIR/debug/rapport" tests/sdk/run.sh
echo "== Inbound email (Python smtplib against rapport serve --smtp-listen)"
RAPPORT_BIN="$CARGO_TARGET_DIR/debug/rapport" tests/mail/run.sh
echo "== Outbound email (a real rapport serve sending through an aiosmtpd relay)"
RAPPORT_BIN="$CARGO_TARGET_DIR/debug/rapport" tests/mail-out/run.sh
echo "== Segment libraries (@segment/analytics-node and segment-analytics-python against a real server)"
RAPPORT_BIN="$CARGO_TARGET_DIR/debug/rapport" tests/segment/run.sh
echo "== API contract (schemathesis, SQLite and PostgreSQL)"
RAPPORT_BIN="$CARGO_TARGET_DIR/debug/rapport" tests/conformance/run.sh
echo "== Browser tests (Playwright driving Debian's Chromium through the messenger widget and the agent app)"
RAPPORT_BIN="$CARGO_TARGET_DIR/debug/rapport" tests/browser/run.sh
