#!/usr/bin/env python3
"""The fault suite: the release server against the ways clients and crashes hurt it in the field. Each row
starts its own server (fresh data folder, free port) and drives it with the independent clients of
Tests/EndToEndTests/Scripts; the table at the end goes into the README's Reliability section.

usage: faults.py --bin BIN [--reference BIN] [--only NAME,…]
  --reference BIN   also runs the resume storm against another build (an older release) as the reference row
Exits non-zero when a row fails its check; every row still runs.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "Tests", "EndToEndTests", "Scripts")
SECRET = "faults-" + os.urandom(16).hex()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One `senate-live serve` with its own data folder; restartable on the same port."""

    def __init__(self, binary, environment=None, data=None, port=None):
        self.binary, self.environment = binary, environment or {}
        self.data = data or tempfile.mkdtemp(prefix="faults-")
        self.port = port or free_port()
        self.process = None
        self.start()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        environment = dict(os.environ, SENATE_LIVE_AUTH_SECRET=SECRET, SENATE_LIVE_CHANNELS="senate", SENATE_LIVE_HOST="127.0.0.1",
                           SENATE_LIVE_DATA_DIR=self.data, **self.environment)
        self.log = open(os.path.join(self.data, "server.log"), "a")
        self.process = subprocess.Popen([self.binary, "serve", "--port", str(self.port)], env=environment,
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on"):
            raise RuntimeError(f"server did not start: {line} (log {self.data}/server.log)")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def token(self, role="operator"):
        arguments = [self.binary, "token", "--role", role] + (["--channel", "senate"] if role == "operator" else [])
        return subprocess.run(arguments, env=dict(os.environ, SENATE_LIVE_AUTH_SECRET=SECRET), capture_output=True, text=True, check=True).stdout.strip()


def script(name, *arguments, environment=None, timeout=900):
    """Runs a client script; (ok, parsed JSON summary or the error text)."""
    result = subprocess.run(["python3", os.path.join(SCRIPTS, name), *map(str, arguments)], cwd=SCRIPTS, capture_output=True, text=True,
                            timeout=timeout, env=dict(os.environ, **(environment or {})))
    if result.returncode != 0:
        return False, (result.stderr or result.stdout).strip().splitlines()[-1][:300]
    return True, json.loads(result.stdout.strip().splitlines()[-1])


ROWS = []


def row(name, ok, summary):
    ROWS.append((name, ok, summary))
    print(f"{'ok ' if ok else 'FAIL'} {name}: {summary}", flush=True)


def health_text(health):
    return f"/healthz p50 {health['p50Ms']} ms, p99 {health['p99Ms']} ms, max {health['maxMs']} ms, {health['failures']} failed"


def storm(binary, label, environment=None, restart_first=False, limit_ms="100"):
    server = Server(binary, environment)
    try:
        if restart_first:
            # Events first, then a restart: the storm meets a server whose memory holds only what it loaded.
            ok, summary = script("storm_check.py", "storm", server.base, server.token(), 1, 1, environment={"HEALTH_LIMIT_MS": "100000"})
            if not ok:
                row(label, False, f"before the restart: {summary}")
                return
            server.stop()
            server.start()
        ok, summary = script("storm_check.py", "storm", server.base, server.token(), 500, 500, environment={"HEALTH_LIMIT_MS": limit_ms})
        if ok:
            row(label, True, f"1000/1000 served, {summary['eventsEach']} events each, in order, in {summary['seconds']} s; {health_text(summary['health'])}")
        else:
            row(label, False, summary)
    finally:
        server.stop()


def reference_storm(binary):
    """The same storm against an older build: how many are served, and does /healthz answer meanwhile."""
    server = Server(binary)
    try:
        ok, summary = script("storm_check.py", "storm", server.base, server.token(), 500, 500,
                             environment={"HEALTH_LIMIT_MS": "100000", "STORM_REPORT": "1"}, timeout=300)
        if not ok:
            row("reference build: the same storm", False, summary)
            return
        health = summary["health"]
        row("reference build: the same storm", True,
            f"{summary['served']}/1000 served, {summary['failed']} failed in {summary['seconds']} s (first: {summary['firstFailure']}); "
            f"/healthz: {health['probes'] - health['failures']} of {health['probes']} probes answered, max {health['maxMs']} ms")
    finally:
        server.stop(sig=signal.SIGKILL)


def restart_with_subscribers(binary):
    server = Server(binary)
    ready = os.path.join(server.data, "ready")
    clients = subprocess.Popen(["python3", os.path.join(SCRIPTS, "storm_check.py"), "restart", server.base, server.token(), "500", ready],
                               cwd=SCRIPTS, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 180
    while not os.path.exists(ready) and clients.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    started = time.time()
    server.stop()
    stopped = time.time() - started
    server.start()
    os.remove(ready)
    out, err = clients.communicate(timeout=300)
    server.stop()
    if clients.returncode == 0:
        summary = json.loads(out.strip().splitlines()[-1])
        row("restart (SIGTERM, drain, start) with 500 subscribers connected", True,
            f"{summary['reconnected']}/500 resumed with since, none missed or repeated an event ({summary['published']} published during it); drain {stopped:.1f} s")
    else:
        row("restart (SIGTERM, drain, start) with 500 subscribers connected", False, err.strip().splitlines()[-1][:300])


def kill_nine(binary, rounds=10):
    server = Server(binary)
    acked_file = os.path.join(server.data, "acked.txt")
    publisher = subprocess.Popen(["python3", os.path.join(SCRIPTS, "storm_check.py"), "publisher", server.base, server.token(), acked_file],
                                 cwd=SCRIPTS, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(rounds):
        time.sleep(random.uniform(0.5, 1.5))
        server.stop(signal.SIGKILL)
        server.start()
    time.sleep(1)
    publisher.kill()
    publisher.wait()
    acked = {}
    with open(acked_file) as lines:
        for line in lines:
            identifier, seq = line.split()
            acked[identifier] = int(seq)
    stored, since = {}, 0
    while True:
        with urllib.request.urlopen(f"{server.base}/api/v1/channels/senate/events?since={since}&limit=1000", timeout=30) as reply:
            page = json.load(reply)
        for event in page["events"]:
            stored[event["id"]] = event["seq"]
        if not page["events"]:
            break
        since = page["events"][-1]["seq"]
    server.stop()
    lost = [identifier for identifier, seq in acked.items() if stored.get(identifier) != seq]
    seqs = sorted(stored.values())
    gapless = seqs == list(range(1, len(seqs) + 1))
    row(f"kill -9 ×{rounds} while publishing (a publisher retrying with the same id)", len(acked) > 100 and not lost and gapless,
        f"{len(acked)} acknowledged, {len(lost)} lost; {len(stored)} stored, seqs gap-free: {gapless}; "
        f"{len(stored) - len(acked)} stored but not acknowledged (the kill came before the answer; the retry returned the same event)")


def fuzz(binary):
    server = Server(binary, {"SENATE_LIVE_WEBHOOK_ALLOW_HOSTS": "127.0.0.1"})
    try:
        token = server.token("admin")
        request = urllib.request.Request(f"{server.base}/api/v1/channels/senate/events", method="POST", headers={"Authorization": f"Bearer {token}"},
                                         data=json.dumps({"type": "sitting.started", "data": {"title": "t", "chamber": "senate", "number": 1, "scheduledAt": "2026-11-23T02:30:00Z"}}).encode())
        sitting = json.load(urllib.request.urlopen(request))["sitting"]
        har = os.path.join(server.data, "fuzz.har")
        result = subprocess.run(["schemathesis", "--config-file", os.path.join(SCRIPTS, "schemathesis.toml"), "run", server.base + "/api/v1/openapi.json",
                                 "--url", server.base, "--checks", "all", "--exclude-checks", "positive_data_acceptance,unsupported_method",
                                 "--exclude-path-regex", "^/live/|/events/stream$", "--max-examples", "200", "--no-color",
                                 "--report", "har", "--report-har-path", har],
                                cwd=SCRIPTS, capture_output=True, text=True, timeout=1800, env=dict(os.environ, FUZZ_TOKEN=token, FUZZ_SITTING=sitting))
        summary = next((line.strip() for line in result.stdout.splitlines() if "generated," in line), "no summary")
        if result.returncode != 0:
            failures = result.stdout[result.stdout.find("FAILURES"):result.stdout.find("WARNINGS")]
            print(failures[:4000], file=sys.stderr)
        statuses = {}
        if os.path.exists(har):
            for entry in json.load(open(har))["log"]["entries"]:
                status = entry["response"]["status"]
                statuses[status] = statuses.get(status, 0) + 1
        by_status = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
        row("schemathesis, 200 examples per operation, random seed", result.returncode == 0 and not any(s >= 500 for s in statuses),
            f"{summary}; responses by status: {by_status}")
    finally:
        server.stop()


def simple(binary, label, scenario, arguments, environment=None, describe=None):
    server = Server(binary, environment)
    try:
        resolved = [server.token() if a == "TOKEN" else server.process.pid if a == "PID" else a for a in arguments]
        ok, summary = script("hardening_check.py", scenario, server.base, *resolved)
        row(label, ok, describe(summary) if ok and describe else summary)
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--reference")
    parser.add_argument("--only", default="")
    options = parser.parse_args()
    only = set(filter(None, options.only.split(",")))
    binary = options.bin
    checks = {
        "storm": lambda: storm(binary, "resume storm: 500 WebSocket + 500 HTTP resumes from since=1 at once"),
        "storm-log": lambda: storm(binary, "the same, every replay read from SQLite (relay.recentEvents 0)", {"SENATE_LIVE_RECENT_EVENTS": "0"}),
        "storm-restart": lambda: storm(binary, "the same, right after a restart", restart_first=True),
        "restart": lambda: restart_with_subscribers(binary),
        "kill": lambda: kill_nine(binary),
        "fuzz": lambda: fuzz(binary),
        "malformed": lambda: simple(binary, "malformed HTTP (11 kinds)", "malformed", ["TOKEN"],
                                    describe=lambda s: f"all answered ({', '.join(sorted({str(v['status']) for v in s.values()}))}) and closed, slowest {max(v['seconds'] for v in s.values())} s"),
        "slowloris": lambda: simple(binary, "slow-loris: 1,000 connections trickling a request head", "slowloris", ["PID", "1000"],
                                    {"SENATE_LIVE_HEADER_TIMEOUT": "10"},
                                    describe=lambda s: f"answers {s['answers']}; fds {s['baseFds']} → peak {s['peakFds']} → {s['fdsAfter']}; {health_text(s['health'])}"),
        "websocket": lambda: simple(binary, "WebSocket limits", "websocket", [], {"SENATE_LIVE_BODY_TIMEOUT": "2"},
                                    describe=lambda s: ", ".join(f"{k}: {v.get('closeCode', v.get('status')) if isinstance(v, dict) else v}" for k, v in s.items())),
        "stalled": lambda: simple(binary, "stalled subscribers: 100 that never read, 2,000 events of 6 KB", "stalled", ["TOKEN", "PID", "100"],
                                  describe=lambda s: f"{s['dropped4008']} closed with 4008, 5 healthy got all {s['healthyReceivedEach']}; RSS {s['rssBeforeMB']} → peak {s['rssPeakMB']} → {s['rssAfterMB']} MB ({s['peakGrowthPerStalledKB']} KB per stalled subscriber at peak)"),
    }
    if shutil.which("pg_ctlcluster") or os.path.isdir("/usr/lib/postgresql"):
        checks["storm-postgres"] = lambda: storm_postgres(binary)
    for name, check in checks.items():
        if only and name not in only:
            continue
        try:
            check()
        except Exception as error:  # a row that breaks is reported, the others still run
            row(name, False, repr(error)[:300])
    if options.reference and (not only or "reference" in only):
        reference_storm(options.reference)
    print("\n| check | result |\n|---|---|")
    for name, ok, summary in ROWS:
        print(f"| {name} | {'' if ok else '**FAILED** '}{summary} |")
    sys.exit(0 if all(ok for _, ok, _ in ROWS) else 1)


def storm_postgres(binary):
    """The storm with every replay read from a throwaway PostgreSQL cluster (durable: fsync on)."""
    bin_dir = sorted(d for d in os.listdir("/usr/lib/postgresql"))[-1]
    pg = f"/usr/lib/postgresql/{bin_dir}/bin"
    folder = tempfile.mkdtemp(prefix="faults-pg-")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    subprocess.run(as_postgres + [f"{pg}/initdb", "-D", f"{folder}/data", "-A", "trust", "-U", "postgres", "--no-sync"], check=True, capture_output=True)
    subprocess.run(as_postgres + [f"{pg}/pg_ctl", "-D", f"{folder}/data", "-l", f"{folder}/log", "-w", "-o",
                                  f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=200", "start"], check=True, capture_output=True)
    try:
        storm(binary, "the same on PostgreSQL, every replay read from the database",
              {"SENATE_LIVE_STORE": f"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable", "SENATE_LIVE_ROLES": "ingest,relay",
               "SENATE_LIVE_RECENT_EVENTS": "0"})
    finally:
        subprocess.run(as_postgres + [f"{pg}/pg_ctl", "-D", f"{folder}/data", "-m", "immediate", "stop"], capture_output=True)


if __name__ == "__main__":
    main()
