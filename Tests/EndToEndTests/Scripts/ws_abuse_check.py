"""The relay's own WebSocket pipeline against clients that abuse it, while healthy subscribers listen.

Usage: ws_abuse_check.py SCENARIO BASE TOKEN PID [ARGS…]
  bigframes COUNT           COUNT clients each send a 16 MB frame: closed with 1009 as soon as its header
                            arrives; the server's memory does not grow by the frames
  slowupgrade COUNT SECONDS COUNT clients send most of an upgrade request, then a byte a second: each is answered
                            408 within the header timeout (SECONDS) and closed; descriptors come back
  churn RATE SECONDS BENCH  connect, upgrade and disconnect at RATE per second for SECONDS with
                            `BENCH churn` (senate-live-bench; half close cleanly, half just drop the TCP
                            connection): every one upgraded, the subscriber gauge and the descriptors
                            return to where they were, memory stays bounded
Every scenario keeps ten healthy subscribers reading a stream of events published throughout: each must
get every event once, in order, and /healthz must keep answering. Prints a JSON summary.
"""
import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time

import websockets

from senate_client import HealthProbe, Server, notice, open_fds, read_until_closed, ws_close_code, ws_frame, ws_handshake

SERVER = Server(sys.argv[2], sys.argv[3])
PID = int(sys.argv[4])
HEALTHY = 10


def rss_kb():
    with open(f"/proc/{PID}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def metric(name):
    status, text = SERVER.http("GET", "/metrics")
    lines = [line for line in text.decode().split("\n") if line.startswith(name + " ") or line.startswith(name + "{")]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def close_wait():
    """Server sockets the client has closed but the server has not (CLOSE-WAIT, /proc/net/tcp state 08)."""
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return sum(1 for row in rows if row[3] == "08" and int(row[1].split(":")[1], 16) == SERVER.port)


def source(index):
    """Loopback source addresses 127.0.0.10 … 127.0.0.73: the per-address limit and the ephemeral ports
    stay out of the way of many connections."""
    return f"127.0.0.{10 + index % 64}"


def with_healthy_subscribers(abuse):
    """Runs `abuse()` (blocking) while HEALTHY subscribers read and events are published every 50 ms;
    checks every subscriber got every event once, in order; returns (abuse's result, what they saw)."""
    async def run():
        healthy = [await websockets.connect(SERVER.ws, max_size=None) for _ in range(HEALTHY)]
        for ws in healthy:
            await ws.send(json.dumps({"op": "subscribe", "channel": "senate"}))
            assert json.loads(await ws.recv())["op"] == "snapshot"
        first = SERVER.latest() + 1
        stop = threading.Event()
        published = []

        def publish():
            while not stop.is_set():
                published.extend(event["seq"] for event in SERVER.publish([notice(f"during the abuse {len(published)}")]))
                stop.wait(0.05)

        async def receive(ws):
            seqs = []
            while True:
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 15))
                except asyncio.TimeoutError:
                    return seqs
                if message["op"] == "event":
                    seqs.append(message["seq"])
                    if stop.is_set() and published and message["seq"] >= published[-1]:
                        return seqs

        readers = [asyncio.create_task(receive(ws)) for ws in healthy]
        publisher = threading.Thread(target=publish)
        publisher.start()
        with HealthProbe(SERVER) as probe:
            result = await asyncio.to_thread(abuse)
        stop.set()
        publisher.join()
        seen = await asyncio.gather(*readers)
        for ws in healthy:
            await ws.close()
        return result, first, published, seen, probe.summary()

    result, first, published, seen, health = asyncio.run(run())
    expected = list(range(first, published[-1] + 1))
    for seqs in seen:
        assert seqs == expected, ("a healthy subscriber missed, repeated or reordered events", len(seqs), len(expected))
    assert health["failures"] == 0, health
    return result, {"healthySubscribers": HEALTHY, "eventsEach": len(expected), "health": health}


def bigframes():
    count = int(sys.argv[5])
    size = 16 << 20
    before = rss_kb()
    peak = [before]

    def one(index):
        sock, received = ws_handshake(SERVER, source=source(index))
        sock.settimeout(10)
        started = time.monotonic()
        header = bytes([0x82, 0x80 | 127]) + size.to_bytes(8, "big") + os.urandom(4)
        sent = 0
        try:
            sock.sendall(header)
            chunk = os.urandom(1 << 16)
            while sent < size:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass  # closed by the server part way through: the point
        received += read_until_closed(sock)
        sock.close()
        peak[0] = max(peak[0], rss_kb())
        return ws_close_code(received), sent, time.monotonic() - started

    def abuse():
        results = [None] * count
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, one(i))) for i in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    results, healthy = with_healthy_subscribers(abuse)
    codes = [code for code, _, _ in results]
    assert codes == [1009] * count, codes
    growth = peak[0] - before
    # Twenty 16 MB frames would be 320 MB if buffered; the scanner refuses each at its header.
    assert growth < 48 * 1024, ("memory grew by the frames", growth)
    return {"clients": count, "closeCodes": sorted(set(codes)), "maxBytesSentBeforeClose": max(sent for _, sent, _ in results),
            "maxSeconds": round(max(seconds for _, _, seconds in results), 2), "rssGrowthKB": growth, **healthy}


def slowupgrade():
    count, timeout = int(sys.argv[5]), float(sys.argv[6])
    base_fds = open_fds(PID)
    head = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nX-Slow: "

    def abuse():
        socks = []
        for index in range(count):
            sock = SERVER.connect(source(index))
            sock.setblocking(False)
            socks.append(sock)
        started = time.monotonic()
        answers, ended = {}, {}
        while len(ended) < count and time.monotonic() - started < timeout + 10:
            elapsed = time.monotonic() - started
            for index, sock in enumerate(socks):
                if index in ended:
                    continue
                try:
                    # The request line and most headers at once (the router recognises `GET /ws` and
                    # buffers the head), then one more byte a second.
                    position = len(head) - 8 + int(elapsed)
                    sent = answers.get(("sent", index), 0)
                    if sent < min(position, len(head)):
                        sock.send(head[sent:min(position, len(head))])
                        answers[("sent", index)] = min(position, len(head))
                    data = sock.recv(4096)
                    if data:
                        answers[index] = answers.get(index, b"") + data
                    else:
                        ended[index] = time.monotonic() - started
                except BlockingIOError:
                    pass
                except (ConnectionResetError, BrokenPipeError):
                    ended[index] = time.monotonic() - started
            time.sleep(0.05)
        for sock in socks:
            sock.close()
        return answers, ended

    (answers, ended), healthy = with_healthy_subscribers(abuse)
    assert len(ended) == count, ("connections still open", count - len(ended))
    statuses = sorted({answers.get(index, b"")[:12].decode("latin-1") for index in range(count)})
    assert statuses == ["HTTP/1.1 408"], statuses
    slowest = max(ended.values())
    assert slowest < timeout + 4, ("answered late", slowest)
    time.sleep(1)
    after = open_fds(PID)
    assert after <= base_fds + 16, (after, base_fds)
    return {"connections": count, "answers": statuses, "closedWithinSeconds": round(slowest, 2), "fdsBefore": base_fds, "fdsAfter": after, **healthy}


def churn():
    rate, seconds, bench = float(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
    base_fds = open_fds(PID)
    base_subscribers = metric("senate_live_subscribers")
    before = rss_kb()

    def abuse():
        # senate-live-bench churn (SwiftNIO): a Python client cannot open connections this fast.
        sources = " ".join(source(index) for index in range(64))
        result = subprocess.run([bench, "churn", "--url", SERVER.ws, "--rate", str(rate), "--seconds", str(seconds), "--source-addrs", sources],
                                capture_output=True, text=True, timeout=seconds + 90)
        assert result.returncode == 0, result.stderr[-2000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    outcome, healthy = with_healthy_subscribers(abuse)
    deadline = time.time() + 20
    while True:
        # CLOSE-WAIT sampled before /metrics is asked: that request's own connection is closing just after.
        half_closed, after_fds, after_subscribers = close_wait(), open_fds(PID), metric("senate_live_subscribers")
        if (after_fds <= base_fds + 16 and after_subscribers <= base_subscribers and not half_closed) or time.time() > deadline:
            break
        time.sleep(0.5)
    growth = rss_kb() - before
    summary = {"asked": rate, "upgraded": outcome["upgraded"], "failed": outcome["failed"], "reasons": outcome["reasons"],
               "seconds": round(outcome["seconds"], 2), "perSecond": round(outcome["perSecond"]), "fdsBefore": base_fds, "fdsAfter": after_fds,
               "subscribersAfter": after_subscribers, "closeWaitAfter": half_closed, "rssGrowthKB": growth, **healthy}
    # The figures first (a benchmark compares them even when a check fails), then the checks.
    print(json.dumps(summary), file=sys.stderr, flush=True)
    assert outcome["failed"] == 0 and outcome["unfinished"] == 0, outcome
    assert after_fds <= base_fds + 16, ("descriptors not released", after_fds, base_fds)
    assert after_subscribers <= base_subscribers, ("subscribers not released", after_subscribers, base_subscribers)
    # A client that drops its connection without a close frame half-closes it: the server must close too.
    assert half_closed == 0, ("connections left in CLOSE-WAIT", half_closed)
    assert growth < 64 * 1024, ("memory kept after the churn", growth)
    return summary


SCENARIOS = {"bigframes": bigframes, "slowupgrade": slowupgrade, "churn": churn}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]]()))
