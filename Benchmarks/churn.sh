#!/usr/bin/env bash
# WebSocket churn benchmark: connects, upgrades and disconnects at RATE a second for DURATION seconds against one
# release `senate-live serve` while ten healthy subscribers read events published every 50 ms and a prober
# asks /healthz every 50 ms; then the same run on the reference path (Hummingbird's WebSocket router,
# `relay.webSocketServer: hummingbird`) and the ratio.
#
# The load is `senate-live-bench churn` (SwiftNIO, 64 loopback source addresses; half the connections send
# a close frame, half drop the TCP connection); the checks are the churn test's own
# (Tests/EndToEndTests/Scripts/ws_abuse_check.py): every connection upgraded, every healthy subscriber got
# every event once and in order, /healthz answered every probe, descriptors and the subscriber gauge back
# where they were. A benchmark, not a test: exits non-zero when a run fails its checks.
#
# Usage:   Benchmarks/churn.sh
# Env:     RATE (10000), DURATION (3 s), SENATE_LIVE_BIN, BENCH_BIN (as in fanout.sh)
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
die() { echo "churn.sh: error: $*" >&2; exit 1; }
source "$BENCH_DIR/binary.sh"
BENCH_BIN="${BENCH_BIN:-$ROOT/.build-release/release/senate-live-bench}"
if [[ ! -x "$BENCH_BIN" ]]; then
    echo "building $BENCH_BIN (release)..." >&2
    (cd "$ROOT" && swift build -c release --scratch-path .build-release --product senate-live-bench) >&2
fi
python3 -c 'import websockets' 2>/dev/null || die "python3 has no websockets package (pip install 'websockets>=17')"
ulimit -n "$(ulimit -Hn)"
RATE="${RATE:-10000}" DURATION="${DURATION:-3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/churn.XXXXXX")"
SECRET="churn-benchmark-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
PID=""
cleanup() { [[ -n "$PID" ]] && kill -TERM "$PID" 2>/dev/null; sleep 0.5; [[ -n "$PID" ]] && kill -KILL "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# One run: prints the summary line and "perSecond" for the ratio.
run() {
    local server="$1" data="$WORK/$1"
    mkdir -p "$data"
    SENATE_LIVE_WEBSOCKET_SERVER="$server" SENATE_LIVE_AUTH_SECRET="$SECRET" SENATE_LIVE_CHANNELS=senate SENATE_LIVE_DATA_DIR="$data" \
        SENATE_LIVE_HOST=127.0.0.1 "$BIN" serve --port 0 >"$data/out" 2>"$data/err" &
    PID=$!
    local url=""
    for _ in $(seq 1 300); do
        url="$(grep -o 'http://[0-9.]*:[0-9]*' "$data/out" 2>/dev/null | head -1 || true)"
        [[ -n "$url" ]] && break
        sleep 0.1
    done
    [[ -n "$url" ]] || die "the server did not start: $(tail -3 "$data/err")"
    local token
    token="$(SENATE_LIVE_AUTH_SECRET="$SECRET" "$BIN" token --channel senate)"
    (cd "$ROOT/Tests/EndToEndTests/Scripts" && python3 ws_abuse_check.py churn "$url" "$token" "$PID" "$RATE" "$DURATION" "$BENCH_BIN") >"$data/summary" 2>"$data/check" || true
    kill -TERM "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=""
    if [[ -s "$data/summary" ]]; then
        echo "$server: $(cat "$data/summary")"
    else
        echo "$server: FAILED its checks ($(grep -o 'AssertionError.*' "$data/check" | head -1)): $(grep '^{' "$data/check" | tail -1)"
    fi
}

echo "churn: $RATE connects/upgrades/disconnects a second for ${DURATION}s; server $BIN; client $BENCH_BIN"
NIO="$(run nio)"; echo "$NIO"
REFERENCE="$(run hummingbird)"; echo "$REFERENCE"
python3 - "$NIO" "$REFERENCE" <<'PY'
import json, sys
def rate(line):
    try:
        return json.loads(line[line.index("{"):])["perSecond"]
    except (ValueError, KeyError, IndexError):
        return None
ours, reference = rate(sys.argv[1]), rate(sys.argv[2])
print(f"upgrades a second: nio {ours}, hummingbird (reference) {reference}"
      + (f", ratio {ours / reference:.2f}" if ours and reference else ""))
sys.exit(0 if ours else 1)
PY
