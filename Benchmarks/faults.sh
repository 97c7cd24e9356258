#!/usr/bin/env bash
# The fault suite (Benchmarks/faults.py) against the release server: resume storms (also from the log,
# after a restart, on PostgreSQL), a restart with 500 subscribers connected, kill -9 ×10 mid-publish,
# schemathesis, malformed HTTP, slow-loris, WebSocket limits, stalled subscribers. Prints a table for the
# README's Reliability section. A benchmark, not a test: exits non-zero when a row fails its check.
#
# Usage:   Benchmarks/faults.sh
# Env:     SENATE_LIVE_BIN  binary to run (default: .build-release/release/senate-live, built if missing)
#          REFERENCE_BIN    an older build to run the resume storm against as the reference row
#          ONLY             comma list of rows (storm, storm-log, storm-restart, storm-postgres, restart, kill,
#                           fuzz, malformed, slowloris, websocket, stalled, reference)
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
die() { echo "faults.sh: error: $*" >&2; exit 1; }
source "$BENCH_DIR/binary.sh"
python3 -c 'import websockets, schemathesis' 2>/dev/null || die "python3 needs websockets and schemathesis (scripts/setup-debian.sh)"
ulimit -n 20000 2>/dev/null || true
echo "server: $BIN (built $(date -r "$BIN" '+%Y-%m-%d %H:%M:%S'))"
exec python3 "$BENCH_DIR/faults.py" --bin "$BIN" ${REFERENCE_BIN:+--reference "$REFERENCE_BIN"} ${ONLY:+--only "$ONLY"}
