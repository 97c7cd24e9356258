"""Reconnect storms against the real server, as a few hundred viewers' pages make them after a restart.

Usage: python3 storm_check.py SCENARIO BASE_URL TOKEN [ARGS…]
  storm BASE TOKEN WS HTTP     WS WebSocket and HTTP history resumes from since=1, all at once, from eight
                               source addresses: every one served, in order, complete; /healthz answers
                               throughout (probed from another address, in another process)
  restart BASE TOKEN N READY   N subscribers that reconnect as feed.js does (jittered exponential backoff)
                               and resume with since; events are published all along; READY is created once
                               all are subscribed, so the caller can restart the server; every subscriber
                               ends with every event exactly once, in order
  publisher BASE TOKEN FILE    publishes notices with ids, one after another, retrying through outages with
                               the same id, and appends each acknowledged id and seq to FILE, until killed
Exit status 0 means every check passed; a JSON summary is printed.
"""
import asyncio
import json
import os
import random
import sys
import time

import websockets

from senate_client import HealthProbe, Server, notice, source_address

SERVER = Server(sys.argv[2], sys.argv[3])


async def ws_resume(index, since, head):
    """Subscribes with `since` and reads until `head`; the seqs received."""
    ws = await websockets.connect(SERVER.ws, max_size=None, open_timeout=60, local_addr=(source_address(index), 0))
    await ws.send(json.dumps({"op": "subscribe", "channel": SERVER.channel, "since": since}))
    seqs = []
    while not seqs or seqs[-1] < head:
        message = json.loads(await asyncio.wait_for(ws.recv(), 60))
        assert message["op"] == "event", message
        seqs.append(message["seq"])
    await ws.close()
    return seqs


async def http_resume(index, since):
    """GET …/events?since= over a raw asyncio connection from a source address; the seqs in the page."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(SERVER.host, SERVER.port, local_addr=(source_address(index), 0)), 60)
    writer.write(f"GET /api/v1/channels/{SERVER.channel}/events?since={since}&limit=1000 HTTP/1.1\r\n"
                 f"Host: x\r\nConnection: close\r\n\r\n".encode())
    response = await asyncio.wait_for(reader.read(), 60)
    writer.close()
    head, body = response.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200"), head
    return [event["seq"] for event in json.loads(body)["events"]]


async def storm():
    ws_count, http_count = int(sys.argv[4]), int(sys.argv[5])
    if SERVER.latest() < 200:
        SERVER.publish([notice(f"before the storm {i}") for i in range(200)])
    head = SERVER.latest()
    expected = list(range(2, head + 1))
    started = time.monotonic()
    with HealthProbe(SERVER) as probe:
        results = await asyncio.gather(
            *[ws_resume(i, 1, head) for i in range(ws_count)], *[http_resume(ws_count + i, 1) for i in range(http_count)],
            return_exceptions=True)
    elapsed = time.monotonic() - started
    failures = [repr(result) for result in results if isinstance(result, BaseException)]
    if os.environ.get("STORM_REPORT"):
        # Measure, do not judge (the reference run against an older build).
        served = sum(1 for result in results if result == expected)
        return {"served": served, "failed": len(failures), "firstFailure": failures[0][:160] if failures else None,
                "seconds": round(elapsed, 2), "health": probe.summary()}
    assert not failures, (len(failures), failures[:3])
    wrong = [index for index, seqs in enumerate(results) if seqs != expected]
    assert not wrong, (len(wrong), results[wrong[0]][:10])
    health = probe.summary()
    assert health["failures"] == 0 and health["probes"] > 0, health
    assert health["maxMs"] < float(os.environ.get("HEALTH_LIMIT_MS", "100")), health
    return {"webSockets": ws_count, "http": http_count, "eventsEach": len(expected), "seconds": round(elapsed, 2), "health": health}


class Subscriber:
    """A page's feed: subscribes, remembers the last seq, and on any drop reconnects after a jittered,
    growing delay (what `feed.js` does) and resumes with `since`."""

    def __init__(self, index):
        self.index, self.seqs, self.last, self.start, self.connected, self.reconnects = index, [], None, None, asyncio.Event(), 0
        self.failure = None

    async def run(self, stop):
        attempt = 0
        while not stop.is_set():
            try:
                async with websockets.connect(SERVER.ws, max_size=None, open_timeout=10, local_addr=(source_address(self.index), 0)) as ws:
                    message = {"op": "subscribe", "channel": SERVER.channel}
                    if self.last is not None:
                        message["since"] = self.last
                    await ws.send(json.dumps(message))
                    async for raw in ws:
                        message = json.loads(raw)
                        if message["op"] == "snapshot":
                            if self.last is not None:
                                self.failure = f"subscriber {self.index} got a snapshot on resume: a gap"
                                return
                            self.last = self.start = message["seq"]
                            self.connected.set()
                        elif message["op"] == "event":
                            self.seqs.append(message["seq"])
                            self.last = message["seq"]
                            attempt = 0
                        elif message["op"] == "gap":
                            self.failure = f"subscriber {self.index} was told of a gap: {message}"
                            return
            except (OSError, websockets.WebSocketException, asyncio.TimeoutError):
                pass
            if stop.is_set():
                return
            self.reconnects += 1
            attempt += 1
            await asyncio.sleep(random.uniform(0, min(4.0, 0.5 * 2 ** attempt)))


async def publisher(stop, published):
    """One notice every 100 ms; a publish that fails (server restarting) is retried with the same id."""
    number = 0
    while not stop.is_set():
        event = {"id": f"restart-{number}", **notice(f"during the restart {number}")}
        while True:
            try:
                status, body = await asyncio.to_thread(SERVER.http, "POST", f"/api/v1/channels/{SERVER.channel}/events", event, None, None, 5)
                if status == 201:
                    published.append(body["seq"])
                    break
            except OSError:
                pass  # refused or reset while the server restarts
            await asyncio.sleep(0.2)
        number += 1
        await asyncio.sleep(0.1)


async def restart():
    count, ready_file = int(sys.argv[4]), sys.argv[5]
    subscribers = [Subscriber(i) for i in range(count)]
    stop_publishing, stop_subscribers, published = asyncio.Event(), asyncio.Event(), []
    tasks = [asyncio.create_task(s.run(stop_subscribers)) for s in subscribers]
    await asyncio.wait_for(asyncio.gather(*[s.connected.wait() for s in subscribers]), 120)
    publishing = asyncio.create_task(publisher(stop_publishing, published))
    await asyncio.sleep(1)
    open(ready_file, "w").close()
    # The caller restarts the server now; publishing goes on until it says it is done (the file goes).
    while os.path.exists(ready_file):
        await asyncio.sleep(0.2)
    await asyncio.sleep(2)
    stop_publishing.set()
    await publishing
    head = SERVER.latest()
    deadline = time.monotonic() + 60
    while any(s.last != head for s in subscribers) and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    stop_subscribers.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    failures = [s.failure for s in subscribers if s.failure]
    assert not failures, (len(failures), failures[:3])
    behind = [s.index for s in subscribers if s.last != head]
    assert not behind, (len(behind), head, subscribers[behind[0]].last)
    for s in subscribers:
        assert s.seqs == list(range(s.start + 1, head + 1)), (s.index, s.start, s.seqs[:5], len(s.seqs))
    reconnected = sum(1 for s in subscribers if s.reconnects > 0)
    assert reconnected == count, f"only {reconnected} of {count} subscribers saw the restart"
    return {"subscribers": count, "published": len(published), "head": head, "reconnected": reconnected,
            "meanReconnects": round(sum(s.reconnects for s in subscribers) / count, 2)}


def publish_until_killed():
    log, number = open(sys.argv[4], "a", buffering=1), 0
    while True:
        event = {"id": f"kill-{number}", **notice(f"kill test {number}")}
        try:
            status, body = SERVER.http("POST", f"/api/v1/channels/{SERVER.channel}/events", event, None, None, 5)
        except OSError:
            status = None
        if status == 201:
            log.write(f"{event['id']} {body['seq']}\n")
            number += 1
        else:
            time.sleep(0.05)


SCENARIOS = {"storm": storm, "restart": restart, "publisher": publish_until_killed}

if __name__ == "__main__":
    scenario = SCENARIOS[sys.argv[1]]
    print(json.dumps(asyncio.run(scenario()) if asyncio.iscoroutinefunction(scenario) else scenario()))
