#!/usr/bin/env bash
# Web Push benchmark: one event followed by N subscriptions, delivered by `senate-live serve` to a local
# push service (Tests/EndToEndTests/Scripts/push_service.py), next to a plain Python Web Push sender
# (Benchmarks/push_reference.py) doing the same job. See Benchmarks/push.py for what is measured.
#
# Usage:   Benchmarks/push.sh
# Env:     SENATE_LIVE_BIN  binary to run (default: .build-release/release/senate-live, built if missing;
#                           NOT rebuilt when stale)
#          COUNTS           subscriptions per run, comma-separated (default 10000,100000,300000)
#          NO_REFERENCE=1   skip the Python reference runs
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
die() { echo "push.sh: error: $*" >&2; exit 1; }
source "$BENCH_DIR/binary.sh"
python3 -c 'import http_ece, cryptography' 2>/dev/null || die "python3 needs http-ece and cryptography (pip install http-ece cryptography)"
# The push service and the reference keep up to 64 connections each; the server a pool per host.
ulimit -n 65536 2>/dev/null || true
echo "server: $BIN (built $(date -r "$BIN" '+%Y-%m-%d %H:%M:%S')); $(nproc) cores"
EXTRA=()
[[ -n "${NO_REFERENCE:-}" ]] && EXTRA+=(--no-reference)
exec python3 "$BENCH_DIR/push.py" --bin "$BIN" --counts "${COUNTS:-10000,100000,300000}" ${EXTRA[@]+"${EXTRA[@]}"}
