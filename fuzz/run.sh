#!/usr/bin/env bash
# Fuzzes every parser of untrusted input for a bounded time each, on nightly Rust:
#   bash fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 120 s; all four targets)
# A finding stops the run with the input under fuzz/artifacts/TARGET/; copy it to
# fuzz/regressions/TARGET/, fix the bug, and `cargo test` replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(runbook log date facts)
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  echo "== fuzzing $t for ${seconds}s"
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" "fuzz/regressions/$t" -- \
    -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
done
