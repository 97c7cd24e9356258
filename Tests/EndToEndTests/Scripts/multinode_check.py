"""Two senate-live relay nodes on one PostgreSQL event log, checked by an independent client.

Usage: python3 multinode_check.py NODE_A NODE_B TOKEN NODE_B_PID PG_PORT
Asserts; exit status 0 means every check passed. Prints a JSON summary on success.
1. subscribers on both nodes, publishers on both at once: every subscriber gets the same events, same seq,
   in order, none missing; a repeated id sent to the other node returns the first event;
2. the nodes' LISTEN connections are cut (pg_terminate_backend): events published meanwhile still arrive;
3. the nodes' LISTEN server processes are frozen (SIGSTOP: the connections stay open and say nothing):
   each node notices the silence, reconnects, and its subscribers get what was published meanwhile;
4. node B is killed (SIGKILL) mid-stream: its subscribers resume on node A with `since` and get exactly
   the events they had not seen.
"""
import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time

import websockets

from senate_client import Server

NODE_A, NODE_B, TOKEN, NODE_B_PID, PG_PORT = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
CHANNEL = "senate"


def http(base, method, path, body=None):
    return Server(base, TOKEN).http(method, path, body)


def publish(base, events):
    status, body = http(base, "POST", f"/api/v1/channels/{CHANNEL}/events", events)
    assert status in (200, 201), (base, status, body)
    return body if isinstance(body, list) else [body]


def notice(event_id, text):
    return {"id": event_id, "type": "notice", "data": {"text": text}}


class Subscriber:
    """A WebSocket subscriber that records (seq, id) of every event it receives."""

    def __init__(self, base):
        self.base = base
        self.events = []
        self.ws = None

    async def open(self, since=None):
        self.ws = await websockets.connect(self.base.replace("http://", "ws://") + "/ws", max_size=None, open_timeout=10)
        message = {"op": "subscribe", "channel": CHANNEL}
        if since is not None:
            message["since"] = since
        await self.ws.send(json.dumps(message))
        if since is None:
            snapshot = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            assert snapshot["op"] == "snapshot", snapshot
            return snapshot["seq"]
        return since

    async def receive_until(self, count, timeout=20):
        """Receives until `count` events in all (raises on timeout or a closed connection)."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), max(0.1, deadline - time.monotonic())))
            assert message["op"] == "event", message
            self.events.append((message["seq"], message["id"]))

    @property
    def last(self):
        return self.events[-1][0] if self.events else None


def contiguous(events, start):
    return [seq for seq, _ in events] == list(range(start + 1, start + 1 + len(events)))


async def both_nodes_publish():
    subscribers = [Subscriber(NODE_A) for _ in range(10)] + [Subscriber(NODE_B) for _ in range(10)]
    bases = {await s.open() for s in subscribers}
    assert len(bases) == 1, f"the nodes disagree on the head: {bases}"
    base = bases.pop()
    stored = []
    lock = threading.Lock()

    def publisher(node, prefix):
        for i in range(40):
            got = publish(node, notice(f"{prefix}-{i}", f"{prefix} {i}"))
            with lock:
                stored.extend((e["seq"], e["id"]) for e in got)
        got = [(e["seq"], e["id"]) for e in publish(node, [notice(f"{prefix}-batch-{i}", f"{prefix} batch {i}") for i in range(10)])]
        assert contiguous(got, got[0][0] - 1), got  # a batch is atomic: consecutive seqs
        with lock:
            stored.extend(got)

    await asyncio.gather(asyncio.to_thread(publisher, NODE_A, "a"), asyncio.to_thread(publisher, NODE_B, "b"))
    stored.sort()
    assert len(stored) == 100 and contiguous(stored, base), f"seqs not gap-free across writers: {stored[:5]}…"
    await asyncio.gather(*(s.receive_until(100) for s in subscribers))
    for s in subscribers:
        assert s.events == stored, f"{s.base} subscriber got {s.events[:3]}… expected {stored[:3]}…"
    # Idempotency across nodes: a-0 was stored through A; sent again to B, B answers with A's event.
    again = publish(NODE_B, notice("a-0", "a 0 again"))
    first = next(e for e in stored if e[1] == "a-0")
    assert (again[0]["seq"], again[0]["id"]) == first, (again, first)
    status, page = http(NODE_B, "GET", f"/api/v1/channels/{CHANNEL}/events?since={base}&limit=1000")
    assert status == 200 and page["latest"] == base + 100, page["latest"]
    return subscribers, base + 100


def psql(statement):
    result = subprocess.run(["psql", "-h", "127.0.0.1", "-p", PG_PORT, "-U", "postgres", "-d", "postgres", "-At", "-c", statement],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


async def lost_notifications(subscribers, head):
    cut = psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'")
    assert int(cut) >= 2, f"expected both nodes' LISTEN connections, cut {cut}"
    published = []
    for i in range(10):
        published += [(e["seq"], e["id"]) for e in publish(NODE_A, notice(f"cut-{i}", f"while cut {i}"))]
    await asyncio.gather(*(s.receive_until(100 + 10, timeout=20) for s in subscribers))
    for s in subscribers:
        assert s.events[100:] == published, (s.base, s.events[100:], published)
    # The notifier reconnects and /readyz says so.
    deadline = time.monotonic() + 20
    while True:
        status, ready = http(NODE_B, "GET", "/readyz")
        if status == 200 and ready.get("notifier") == "listening":
            break
        assert time.monotonic() < deadline, ready
        await asyncio.sleep(0.2)
    return {"cut": int(cut), "delivered_while_cut": len(published)}


async def frozen_listeners(subscribers):
    pids = [int(pid) for pid in psql("SELECT pid FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'").split()]
    assert len(pids) >= 2, f"expected both nodes' LISTEN connections, found {pids}"
    before = len(subscribers[0].events)
    started = time.monotonic()
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        published = []
        for i in range(5):
            published += [(e["seq"], e["id"]) for e in publish(NODE_A, notice(f"frozen-{i}", f"while frozen {i}"))]
        # Node B hears of them only once it notices its LISTEN connection is dead (nodes poll the table
        # only once a minute here).
        await asyncio.gather(*(s.receive_until(before + 5, timeout=40) for s in subscribers))
        for s in subscribers:
            assert s.events[before:] == published, (s.base, s.events[before:], published)
    finally:
        for pid in pids:
            os.kill(pid, signal.SIGCONT)
    return {"frozen": len(pids), "delivered_after_s": round(time.monotonic() - started, 1)}


async def kill_node_b():
    subscribers = [Subscriber(NODE_B) for _ in range(10)]
    base = {await s.open() for s in subscribers}.pop()
    published = []
    killed = threading.Event()

    def publisher():
        for i in range(60):
            published.extend((e["seq"], e["id"]) for e in publish(NODE_A, notice(f"k-{i}", f"kill {i}")))
            if i == 20:
                os.kill(NODE_B_PID, signal.SIGKILL)
                killed.set()
            time.sleep(0.02)

    task = asyncio.ensure_future(asyncio.to_thread(publisher))
    resumed = 0
    for s in subscribers:
        try:
            await s.receive_until(60, timeout=15)
        except (websockets.ConnectionClosed, OSError):
            pass
    assert killed.wait(15)
    await task
    for s in subscribers:
        if len(s.events) < 60:
            s.base = NODE_A
            await s.open(since=s.last if s.last is not None else base)
            resumed += 1
            await s.receive_until(60)
        assert s.events == published, f"after resuming on A: {s.events[:3]}… vs {published[:3]}…"
        await s.ws.close()
    assert resumed > 0, "node B was killed but no subscriber had to resume"
    return {"subscribers": len(subscribers), "resumed_on_a": resumed, "events": len(published)}


async def main():
    subscribers, head = await both_nodes_publish()
    cut = await lost_notifications(subscribers, head)
    frozen = await frozen_listeners(subscribers)
    for s in subscribers:
        await s.ws.close()
    killed = await kill_node_b()
    print(json.dumps({"both_nodes": {"subscribers": len(subscribers), "events": 100}, "lost_notifications": cut, "frozen_listeners": frozen, "kill": killed}))


asyncio.run(main())
