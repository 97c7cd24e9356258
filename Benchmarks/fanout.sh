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
#          SENATE_LIVE_WEBSOCKET_SERVER  nio (default) or hummingbird: the reference row (today's path before
#                           issue 16), same binary
#          FD_LIMIT         open-file limit to ask for (default 65536; capped at the hard limit)
#          NODES            relay nodes (default 1); more than one share a PostgreSQL event log
#          STORE            sqlite (default with one node) or postgres: a throwaway PostgreSQL cluster
#                           (Debian's postgresql; run as the postgres user when root) on a free port
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
SERVER_PIDS=()
NODES="${NODES:-1}"
STORE="${STORE:-$([[ "$NODES" -gt 1 ]] && echo postgres || echo sqlite)}"
[[ "$NODES" -gt 1 && "$STORE" != postgres ]] && die "NODES=$NODES needs STORE=postgres (nodes share the event log)"
PG_BIN="" PG_DATA=""

as_postgres() { if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
    for pid in ${SERVER_PIDS[@]+"${SERVER_PIDS[@]}"}; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in ${SERVER_PIDS[@]+"${SERVER_PIDS[@]}"}; do
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    [[ -n "$PG_DATA" ]] && as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

STORE_URL=sqlite
if [[ "$STORE" == postgres ]]; then
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    [[ -x "$PG_BIN/initdb" ]] || die "PostgreSQL not found under /usr/lib/postgresql (apt-get install postgresql)"
    PG_DIR="$WORK/pg" PG_DATA="$WORK/pg/data"
    mkdir -p "$PG_DIR"
    [[ "$(id -u)" -eq 0 ]] && chown postgres:postgres "$PG_DIR" && chmod 755 "$WORK"
    PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres --no-sync >/dev/null
    # Durable as the server's default (fsync on): the figures include PostgreSQL's commit cost.
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/log" -w \
        -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
    STORE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
    echo "store: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
fi

echo "server: $BIN (built $(date -r "$BIN" '+%Y-%m-%d %H:%M:%S'))"
SERVER_PIN=() CLIENT_PIN=()
if [[ -n "${SERVER_CPUS:-}" || -n "${CLIENT_CPUS:-}" ]]; then
    command -v taskset >/dev/null || die "SERVER_CPUS/CLIENT_CPUS need taskset (util-linux)"
    [[ -n "${SERVER_CPUS:-}" ]] && SERVER_PIN=(taskset -c "$SERVER_CPUS")
    [[ -n "${CLIENT_CPUS:-}" ]] && CLIENT_PIN=(taskset -c "$CLIENT_CPUS")
    echo "cpu pinning: server ${SERVER_CPUS:-any}, clients ${CLIENT_CPUS:-any}"
fi
# taskset execs the server, so $! is the server's pid either way
URLS=()
for node in $(seq 1 "$NODES"); do
    # The subscribers come from a handful of loopback addresses, thousands each: no per-address limit here.
    SENATE_LIVE_MAX_CONNECTIONS_PER_ADDRESS="${SENATE_LIVE_MAX_CONNECTIONS_PER_ADDRESS:-0}" \
    SENATE_LIVE_AUTH_SECRET="$SECRET" SENATE_LIVE_CHANNELS=senate SENATE_LIVE_DATA_DIR="$DATA_DIR/node$node" \
        SENATE_LIVE_HOST=127.0.0.1 SENATE_LIVE_STORE="$STORE_URL" SENATE_LIVE_ROLES="$([[ $node -eq 1 ]] && echo ingest,relay || echo relay)" ${SERVER_PIN[@]+"${SERVER_PIN[@]}"} "$BIN" serve --port 0 \
        >"$WORK/server$node.out" 2>"$WORK/server$node.err" &
    pid=$!
    SERVER_PIDS+=("$pid")
    URL=""
    for _ in $(seq 1 300); do
        URL="$(grep -o 'http://[0-9.]*:[0-9]*' "$WORK/server$node.out" 2>/dev/null | head -1 || true)"
        [[ -n "$URL" ]] && break
        kill -0 "$pid" 2>/dev/null || { cat "$WORK/server$node.err" >&2; die "server $node exited before listening"; }
        sleep 0.1
    done
    [[ -n "$URL" ]] || { cat "$WORK/server$node.err" >&2; die "server $node did not print 'listening on' within 30s"; }
    echo "server $node pid $pid listening on $URL (queue ${SENATE_LIVE_SUBSCRIBER_QUEUE:-1024}, ping ${SENATE_LIVE_PING_INTERVAL:-30}s, /ws on ${SENATE_LIVE_WEBSOCKET_SERVER:-nio})"
    URLS+=(--url "$URL" --server-pid "$pid")
done

TOKEN="$(SENATE_LIVE_AUTH_SECRET="$SECRET" "$BIN" token --channel senate)"
[[ -n "$TOKEN" ]] || die "could not mint a token"

# --- the clients ----------------------------------------------------------------------------------
set +e
${CLIENT_PIN[@]+"${CLIENT_PIN[@]}"} python3 "$BENCH_DIR/fanout.py" "${URLS[@]}" --token "$TOKEN"
STATUS=$?
set -e

# --- the server's side ----------------------------------------------------------------------------
for node in $(seq 1 "$NODES"); do
    pid="${SERVER_PIDS[$((node - 1))]}"
    err="$WORK/server$node.err"
    kill -0 "$pid" 2>/dev/null || echo "warning: server $node died during the run" >&2
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo
    echo "server $node stderr: $(wc -l <"$err") lines;" \
        "$(grep -ciE 'warning' "$err" || true) warning, $(grep -ciE 'error|critical' "$err" || true) error/critical," \
        "$(grep -ci 'fell behind' "$err" || true) 'fell behind'"
    grep -iE 'warning|error|critical|fell behind' "$err" | sed -E 's/^[0-9T:.+-]+ //' | sort | uniq -c | sort -rn | head -10 || true
    echo "--- last lines of server $node stderr ---"
    tail -n 8 "$err"
done
exit "$STATUS"
