#!/usr/bin/env python3
"""Web Push benchmark driver (run through Benchmarks/push.sh): one event that N subscriptions follow.

For each N: makes N subscriptions with Tests/EndToEndTests/Scripts/push_service.py (one shared key pair;
endpoints differ), stores them with `senate-live push-import`, starts the local push service (every
100th push fully verified: VAPID signature and decryption) and the server, publishes an agenda and then
the `agenda.item` the N subscriptions follow, and waits for the push service to have answered 201 to
every one. Then the reference: Benchmarks/push_reference.py (a plain Python Web Push sender, http_ece +
cryptography, 64 connections) sends the same notification to the same N against a fresh push service.

Prints per N: seconds from the publish to the last delivery, deliveries/s, the server's CPU (seconds
and % of one core over that time) and peak RSS, duplicates and invalid pushes, the relay's publish →
WebSocket receive time of a notice every 0.2 s during the storm (and idle, before it); the reference's seconds
and the ratio (ours / reference). Target: 300,000 in at most 60 s. A benchmark, not a test: exits
non-zero when a target is missed or a delivery is missing.

usage: push.py --bin SENATE_LIVE --counts 10000,100000,300000 [--timeout 300] [--no-reference]
"""
import argparse
import json
import statistics
import threading
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVICE = os.path.join(ROOT, "Tests/EndToEndTests/Scripts/push_service.py")
REFERENCE = os.path.join(ROOT, "Benchmarks/push_reference.py")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def get_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        return json.load(reply)


def post_json(url, body, token):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)


def start_service(work, subscriptions, port):
    port_file = os.path.join(work, f"port-{port}")
    process = subprocess.Popen([sys.executable, SERVICE, "serve", "--subscriptions", subscriptions, "--port-file", port_file,
                                "--log", os.path.join(work, f"push-{port}.jsonl"), "--port", str(port), "--sample", "100"],
                               stdout=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not os.path.exists(port_file):
        if time.time() > deadline or process.poll() is not None:
            raise SystemExit("push service did not start")
        time.sleep(0.1)
    return process


def wait_for_all(port, count, timeout, pid=None, err=None):
    deadline = time.time() + timeout
    stats = {}
    while time.time() < deadline:
        stats = get_json(f"http://127.0.0.1:{port}/stats")
        if stats.get("distinctAccepted", 0) >= count:
            return stats
        if pid is not None and (not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split(") ")[1].startswith("Z")):
            text = open(err).read() if err else ""
            start = text.find("Program crashed")
            tail = text[start:start + 6000] if start >= 0 else text[-3000:]
            raise SystemExit(f"the server died:\n{tail}")
        time.sleep(0.2)
    return stats


class RelayProbe(threading.Thread):
    """Publishes a notice every 0.2 s and times it to a WebSocket subscriber (publish → receive), so the
    figures show whether the push storm delays the relay."""

    def __init__(self, url, token):
        super().__init__(daemon=True)
        self.url, self.token = url, token
        self.samples = []
        self.stop = threading.Event()

    def run(self):
        from websockets.sync.client import connect
        with connect(self.url.replace("http://", "ws://") + "/ws") as ws:
            ws.send(json.dumps({"op": "subscribe", "channel": "senate"}))
            n = 0
            while not self.stop.is_set():
                n += 1
                marker = f"probe-{n}"
                started = time.time()
                post_json(f"{self.url}/api/v1/channels/senate/events", [{"type": "notice", "data": {"text": marker}}], self.token)
                while True:
                    message = json.loads(ws.recv(timeout=10))
                    if message.get("type") == "notice" and message.get("data", {}).get("text") == marker:
                        break
                self.samples.append(1000 * (time.time() - started))
                time.sleep(0.2)

    def figures(self):
        ordered = sorted(self.samples)
        if not ordered:
            return {}
        return {"relayP50Ms": round(statistics.median(ordered), 1), "relayP99Ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
                "relayMaxMs": round(ordered[-1], 1), "relaySamples": len(ordered)}


def run_ours(args, count, work):
    port = free_port()
    subscriptions = os.path.join(work, f"subs-{count}.jsonl")
    subprocess.run([sys.executable, SERVICE, "make", "--count", str(count), "--shared-key",
                    "--endpoint-base", f"http://127.0.0.1:{port}", "--out", subscriptions], check=True)
    lines = os.path.join(work, f"import-{count}.jsonl")
    with open(subscriptions) as source, open(lines, "w") as target:
        for line in source:
            entry = json.loads(line)
            target.write(json.dumps({"subscription": {"endpoint": entry["endpoint"], "keys": entry["keys"]},
                                     "follow": {"billIds": ["bill-77"]}, "lang": "th"}) + "\n")
    data = os.path.join(work, f"data-{count}")
    os.makedirs(data)
    started = time.time()
    subprocess.run([args.bin, "push-import", lines, "--data-dir", data, "--allow-http"], check=True, stdout=subprocess.DEVNULL)
    imported = time.time() - started

    service = start_service(work, subscriptions, port)
    secret = "push-benchmark-" + os.urandom(12).hex()
    env = dict(os.environ, SENATE_LIVE_AUTH_SECRET=secret, SENATE_LIVE_CHANNELS="senate", SENATE_LIVE_DATA_DIR=data,
               SENATE_LIVE_HOST="127.0.0.1", SENATE_LIVE_PUSH_ALLOW_PRIVATE="1", SENATE_LIVE_LOG_LEVEL="warning")
    out = open(os.path.join(work, f"server-{count}.out"), "w")
    err = open(os.path.join(work, f"server-{count}.err"), "w")
    server = subprocess.Popen([args.bin, "serve", "--port", "0"], env=env, stdout=out, stderr=err)
    try:
        url = None
        for _ in range(300):
            with open(out.name) as f:
                text = f.read()
            if "listening on http://" in text:
                url = text.split("listening on ")[1].split()[0]
                break
            time.sleep(0.1)
        if url is None:
            raise SystemExit("the server did not start: " + open(err.name).read()[-2000:])
        token = subprocess.run([args.bin, "token", "--channel", "senate"], env=env, check=True, capture_output=True, text=True).stdout.strip()
        post_json(f"{url}/api/v1/channels/senate/events", [
            {"type": "sitting.started", "data": {"title": "การประชุมวุฒิสภา", "chamber": "senate", "number": 1, "scheduledAt": "2026-12-01T02:00:00Z"}},
            {"type": "agenda.set", "data": {"items": [{"id": "i1", "number": "1", "title": "ร่างพระราชบัญญัติงบประมาณรายจ่ายประจำปี", "billId": "bill-77"}]}},
        ], token)
        # The relay's publish → receive while idle, then during the push storm.
        idle = RelayProbe(url, token)
        idle.start()
        time.sleep(3)
        idle.stop.set()
        idle.join()
        cpu_before = cpu_seconds(server.pid)
        published = time.time()
        post_json(f"{url}/api/v1/channels/senate/events", [{"type": "agenda.item", "data": {"itemId": "i1"}}], token)
        probe = RelayProbe(url, token)
        probe.start()
        stats = wait_for_all(port, count, args.timeout, server.pid, err.name)
        probe.stop.set()
        cpu = cpu_seconds(server.pid) - cpu_before
        probe.join()
        rss = peak_rss_mib(server.pid)
        last = stats.get("last") or time.time()
        seconds = last - published
        delivered = stats.get("distinctAccepted", 0)
        return {"count": count, "delivered": delivered, "seconds": round(seconds, 2), "perSecond": round(delivered / max(seconds, 1e-6)),
                "serverCpuSeconds": round(cpu, 1), "serverCpuPercent": round(100 * cpu / max(seconds, 1e-6)), "peakRssMiB": round(rss),
                "duplicates": stats.get("duplicates", 0), "invalid": stats.get("invalid", 0), "importSeconds": round(imported, 1),
                "payloadVerified": stats.get("requests", 0) // 100, **probe.figures(),
                "idleRelayP50Ms": idle.figures().get("relayP50Ms")}, subscriptions
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=20)


def run_reference(count, subscriptions, work):
    # Same endpoints (they name the push service's port): a fresh push service on that port.
    with open(subscriptions) as f:
        port = int(f.readline().split("127.0.0.1:")[1].split("/")[0])
    service = start_service(work, subscriptions, port)
    try:
        payload = os.path.join(work, "payload.json")
        with open(payload, "w") as f:
            json.dump({"title": "1. ร่างพระราชบัญญัติงบประมาณรายจ่ายประจำปี", "body": "เริ่มพิจารณาแล้วขณะนี้",
                       "url": "/watch/senate?at=2026-12-01T03:00:00.000Z", "tag": "senate-3", "lang": "th",
                       "channel": "senate", "seq": 3, "type": "agenda.item"}, f, ensure_ascii=False)
        # Any valid key: the reference signs its own tokens.
        vapid = subprocess.run([sys.executable, "-c", "import base64,os;from cryptography.hazmat.primitives.asymmetric import ec;"
                                "k=ec.generate_private_key(ec.SECP256R1());"
                                "print(base64.urlsafe_b64encode(k.private_numbers().private_value.to_bytes(32,'big')).rstrip(b'=').decode())"],
                               check=True, capture_output=True, text=True).stdout.strip()
        result = subprocess.run([sys.executable, REFERENCE, "--subscriptions", subscriptions, "--vapid-private", vapid,
                                 "--subject", "mailto:bench@localhost", "--payload-file", payload, "--concurrency", "64"],
                                check=True, capture_output=True, text=True)
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(timeout=20)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--counts", default="10000,100000,300000")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    failed = False
    rows = []
    with tempfile.TemporaryDirectory(prefix="push-bench.") as work:
        for count in [int(c) for c in args.counts.split(",")]:
            ours, subscriptions = run_ours(args, count, work)
            reference = None if args.no_reference else run_reference(count, subscriptions, work)
            if reference:
                ours["referenceSeconds"] = reference["seconds"]
                ours["referencePerSecond"] = reference["perSecond"]
                ours["ratio"] = round(ours["seconds"] / max(reference["seconds"], 1e-6), 2)
            print(json.dumps(ours), flush=True)
            rows.append(ours)
            if ours["delivered"] < count or ours["invalid"] > 0:
                failed = True
                print(f"MISSED: {count - ours['delivered']} undelivered, {ours['invalid']} invalid", flush=True)
            if count >= 300_000 and ours["seconds"] > 60:
                failed = True
                print(f"MISSED: {count} in {ours['seconds']} s (target 60 s)", flush=True)
            os.remove(subscriptions)
    print()
    print("| subscriptions | last delivery | deliveries/s | server CPU | peak RSS | duplicates | relay p50 / p99 during (idle p50) | reference (Python) | ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        reference = f"{row['referenceSeconds']} s ({row['referencePerSecond']}/s)" if "referenceSeconds" in row else "—"
        print(f"| {row['count']:,} | {row['seconds']} s | {row['perSecond']:,} | {row['serverCpuSeconds']} s ({row['serverCpuPercent']} % of a core) "
              f"| {row['peakRssMiB']} MiB | {row['duplicates']} | {row.get('relayP50Ms')} / {row.get('relayP99Ms')} ms ({row.get('idleRelayP50Ms')}) "
              f"| {reference} | {row.get('ratio', '—')} |")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
