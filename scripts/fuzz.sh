#!/usr/bin/env bash
# Fuzzing (docs/FUZZING.md).
#
#   scripts/fuzz.sh --ci [SECONDS]          every target for SECONDS (default 3) on stable: the
#                                           committed corpus, then random mutations of it (seeded
#                                           from the commit, or FUZZ_SEED)
#   scripts/fuzz.sh --long SECONDS [TARGET…] coverage-guided libFuzzer runs (cargo-fuzz; the
#                                           instrumentation flags need RUSTC_BOOTSTRAP=1 on
#                                           stable), growing fuzz/work/TARGET from the corpus
#   scripts/fuzz.sh --list                  the targets
#
# A failing input is saved under fuzz/artifacts/TARGET/; docs/FUZZING.md says how it becomes a
# regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/rapport-target}"

TARGETS=(search_dsl search_sql inbound_mime reply_trim live_frame template segment routing_rules)

case "${1:-}" in
  --ci)
    seconds="${2:-${FUZZ_SECONDS:-3}}"
    # The seed comes from the commit: a run is repeatable, and each commit tries other inputs.
    seed="${FUZZ_SEED:-$((16#$(git rev-parse --short=12 HEAD 2>/dev/null || echo 1)))}"
    cargo run --quiet -p rapport-fuzz --bin fuzz-bounded -- --seconds "$seconds" --seed "$seed"
    ;;
  --long)
    seconds="${2:?--long takes the seconds per target}"
    shift 2
    targets=("$@")
    [ ${#targets[@]} -gt 0 ] || targets=("${TARGETS[@]}")
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
    failed=()
    for target in "${targets[@]}"; do
      mkdir -p "fuzz/work/$target"
      echo "== $target ($seconds s)"
      # -rss_limit_mb: the MIME and HTML targets hold whole messages; -max_len: above every
      # parser's own limit (64 KiB frames, 32 KiB Segment calls) so the limits are exercised.
      RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none "$target" "fuzz/work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -max_len=131072 -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 ||
        failed+=("$target")
    done
    if [ ${#failed[@]} -gt 0 ]; then
      echo "failed: ${failed[*]} (inputs in fuzz/artifacts/)"
      exit 1
    fi
    ;;
  --list)
    printf '%s\n' "${TARGETS[@]}"
    ;;
  *)
    sed -n '2,13p' "$0"
    exit 2
    ;;
esac
