#!/usr/bin/env bash
# WebSocket fan-out benchmark: one `senate-live serve`, SUBSCRIBERS WebSocket subscribers, RATE events/s.
#
# Starts the server on a free port with a fresh data directory, mints a publish token, runs
# Benchmarks/fanout.py (which prints the numbers and the targets), stops the server and prints a
# summary of its stderr. A benchmark, not a test: exits non-zero when a target is missed.
#
# Usage:   Benchmarks/fanout.sh
# Env:     SENATE_LIVE_BIN  binary to run (default: .build-release/release/senate-live, built if missing;
#                           NOT rebuilt when stale)
#          BENCH_BIN        senate-live-bench binary (default: .build-release/release/senate-live-bench, built
#                           if missing)
#          SUBSCRIBERS (10000), RATE (2), DURATION (30), WORKERS (2), CLIENT (swift|sansio|asyncio),
#          COMPRESSION (deflate|none), SOURCE_ADDRS, ...: see fanout.py
#          SENATE_LIVE_SUBSCRIBER_QUEUE, SENATE_LIVE_PING_INTERVAL: passed to the server
#          FD_LIMIT         open-file limit to ask for (default 65536; capped at the hard limit)
#          SERVER_CPUS, CLIENT_CPUS  optional taskset CPU lists (e.g. 0 and 1) to keep the server and the
#                           clients off each other's cores; by default they share every core
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"

die() { echo "fanout.sh: error: $*" >&2; exit 1; }

# --- the binary -----------------------------------------------------------------------------------
source "$BENCH_DIR/binary.sh"
# The subscribers: senate-live-bench (SwiftNIO) unless CLIENT names a Python client.
if [[ "${CLIENT:-swift}" == swift && -z "${BENCH_BIN:-}" ]]; then
    BENCH_BIN="$ROOT/.build-release/release/senate-live-bench"
    if [[ ! -x "$BENCH_BIN" ]]; then
        echo "building $BENCH_BIN (release)..." >&2
        (cd "$ROOT" && swift build -c release --scratch-path .build-release --product senate-live-bench) >&2
    fi
fi
export BENCH_BIN="${BENCH_BIN:-}"
python3 -c 'import websockets' 2>/dev/null || die "python3 has no websockets package (pip install 'websockets>=17')"

# --- file descriptors: server and clients each need one per connection -----------------------------
WANT="${FD_LIMIT:-65536}"
HARD="$(ulimit -Hn)"
if ! ulimit -n "$WANT" 2>/dev/null; then
    [[ "$HARD" == unlimited ]] || { [[ "$WANT" -gt "$HARD" ]] && WANT="$HARD"; }
    ulimit -n "$WANT" || die "cannot raise the open-file limit to $WANT"
fi
SUBS="${SUBSCRIBERS:-10000}"
FDS="$(ulimit -n)"
echo "open-file limit: $FDS (hard $HARD) for the server and for each client process"
if [[ "$FDS" != unlimited && "$SUBS" -gt $((FDS - 100)) ]]; then
    echo "warning: $SUBS subscribers need more fds than the server may open ($FDS): expect failed connections" >&2
fi

# --- the server -----------------------------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fanout.XXXXXX")"
DATA_DIR="$WORK/data"
mkdir -p "$DATA_DIR"
SECRET="fanout-benchmark-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SERVER_PID=""

cleanup() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "server: $BIN (built $(date -r "$BIN" '+%Y-%m-%d %H:%M:%S'))"
SERVER_PIN=() CLIENT_PIN=()
if [[ -n "${SERVER_CPUS:-}" || -n "${CLIENT_CPUS:-}" ]]; then
    command -v taskset >/dev/null || die "SERVER_CPUS/CLIENT_CPUS need taskset (util-linux)"
    [[ -n "${SERVER_CPUS:-}" ]] && SERVER_PIN=(taskset -c "$SERVER_CPUS")
    [[ -n "${CLIENT_CPUS:-}" ]] && CLIENT_PIN=(taskset -c "$CLIENT_CPUS")
    echo "cpu pinning: server ${SERVER_CPUS:-any}, clients ${CLIENT_CPUS:-any}"
fi
# taskset execs the server, so $! is the server's pid either way
SENATE_LIVE_AUTH_SECRET="$SECRET" SENATE_LIVE_CHANNELS=senate SENATE_LIVE_DATA_DIR="$DATA_DIR" \
    SENATE_LIVE_HOST=127.0.0.1 ${SERVER_PIN[@]+"${SERVER_PIN[@]}"} "$BIN" serve --port 0 \
    >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!

URL=""
for _ in $(seq 1 300); do
    URL="$(grep -o 'http://[0-9.]*:[0-9]*' "$WORK/server.out" 2>/dev/null | head -1 || true)"
    [[ -n "$URL" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.err" >&2; die "the server exited before listening"; }
    sleep 0.1
done
[[ -n "$URL" ]] || { cat "$WORK/server.err" >&2; die "the server did not print 'listening on' within 30s"; }
echo "server pid $SERVER_PID listening on $URL (queue ${SENATE_LIVE_SUBSCRIBER_QUEUE:-1024}, ping ${SENATE_LIVE_PING_INTERVAL:-30}s)"

TOKEN="$(SENATE_LIVE_AUTH_SECRET="$SECRET" "$BIN" token --channel senate)"
[[ -n "$TOKEN" ]] || die "could not mint a token"

# --- the clients ----------------------------------------------------------------------------------
set +e
${CLIENT_PIN[@]+"${CLIENT_PIN[@]}"} python3 "$BENCH_DIR/fanout.py" --url "$URL" --token "$TOKEN" --server-pid "$SERVER_PID"
STATUS=$?
set -e

# --- the server's side ----------------------------------------------------------------------------
kill -0 "$SERVER_PID" 2>/dev/null || echo "warning: the server died during the run" >&2
kill -TERM "$SERVER_PID" 2>/dev/null || true
for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
echo
echo "server stderr: $(wc -l <"$WORK/server.err") lines;" \
    "$(grep -ciE 'warning' "$WORK/server.err" || true) warning, $(grep -ciE 'error|critical' "$WORK/server.err" || true) error/critical," \
    "$(grep -ci 'fell behind' "$WORK/server.err" || true) 'fell behind'"
grep -iE 'warning|error|critical|fell behind' "$WORK/server.err" | sed -E 's/^[0-9T:.+-]+ //' | sort | uniq -c | sort -rn | head -10 || true
echo "--- last lines of server stderr ---"
tail -n 8 "$WORK/server.err"
exit "$STATUS"
