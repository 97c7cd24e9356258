"""Independent client checks of the event relay (Python websockets + urllib).

Usage: python3 relay_check.py SCENARIO BASE_URL TOKEN [OTHER_TOKEN]
Each scenario asserts; exit status 0 means every check passed. Prints a JSON summary on success.
"""
import asyncio
import base64
import json
import os
import sys
import time
import urllib.request

import websockets

from senate_client import Server

BASE, TOKEN = sys.argv[2], sys.argv[3]
SERVER = Server(BASE, TOKEN)
WS = BASE.replace("http://", "ws://") + "/ws"
CHANNEL = "senate"


def http(method, path, body=None, token=TOKEN, headers=None):
    """(status, JSON) of one request; token None sends none."""
    return SERVER.http(method, path, body, token=token or "", headers=headers)


def publish(events):
    status, body = http("POST", f"/api/v1/channels/{CHANNEL}/events", events)
    assert status == 201, (status, body)
    return body


def notice(text):
    return {"type": "notice", "data": {"text": text}}


def latest():
    status, body = http("GET", f"/api/v1/channels/{CHANNEL}/events?since=0&limit=1")
    assert status == 200, body
    return body["latest"]


async def subscribe(since=None, **options):
    ws = await websockets.connect(WS, max_size=None, **options)
    message = {"op": "subscribe", "channel": CHANNEL}
    if since is not None:
        message["since"] = since
    await ws.send(json.dumps(message))
    return ws


async def receive_events(ws, count, timeout=20):
    """The next `count` event messages (other ops are returned separately)."""
    events, others = [], []
    deadline = time.monotonic() + timeout
    while len(events) < count:
        raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
        message = json.loads(raw)
        (events if message["op"] == "event" else others).append(message)
    return events, others


async def fanout():
    subscribers = [await subscribe() for _ in range(20)]
    snapshots = [json.loads(await ws.recv()) for ws in subscribers]
    assert all(s["op"] == "snapshot" and s["channel"] == CHANNEL for s in snapshots), snapshots[0]
    start = snapshots[0]["seq"]
    extensions = subscribers[0].response.headers.get("Sec-WebSocket-Extensions", "")
    assert "permessage-deflate" in extensions, extensions
    # No context takeover both ways: the server keeps no zlib state between messages (memory per subscriber),
    # and this client's compressed subscribe messages were inflated all the same (every snapshot came).
    assert "server_no_context_takeover" in extensions and "client_no_context_takeover" in extensions, extensions
    publish([notice(f"batch {i}") for i in range(30)])
    for i in range(20):
        publish(notice(f"single {i}"))
    for ws in subscribers:
        events, _ = await receive_events(ws, 50)
        seqs = [e["seq"] for e in events]
        assert seqs == list(range(start + 1, start + 51)), seqs
        assert events[0]["data"]["text"] == "batch 0" and events[-1]["data"]["text"] == "single 19"
        await ws.close()
    return {"subscribers": len(subscribers), "events": 50, "compression": extensions}


async def resume():
    ws = await subscribe()
    base = json.loads(await ws.recv())["seq"]
    publish([notice(f"before {i}") for i in range(5)])
    events, _ = await receive_events(ws, 5)
    last = events[-1]["seq"]
    await ws.close()
    missed = publish([notice(f"missed {i}") for i in range(10)])
    ws = await subscribe(since=last)
    replayed, others = await receive_events(ws, 10)
    assert not others, others
    assert [e["seq"] for e in replayed] == [e["seq"] for e in missed], (replayed, missed)
    live = publish([notice(f"live {i}") for i in range(5)])
    events, _ = await receive_events(ws, 5)
    assert [e["seq"] for e in events] == [e["seq"] for e in live]
    # Nothing more: no duplicate of the seam.
    try:
        extra = await asyncio.wait_for(ws.recv(), 1.0)
        raise AssertionError(f"unexpected message after the live events: {extra}")
    except asyncio.TimeoutError:
        pass
    await ws.close()
    return {"base": base, "replayed": len(replayed), "live": len(events)}


async def malformed():
    ws = await websockets.connect(WS)
    replies = []
    for frame in ["not json", "[1,2]", '{"op":"nope"}', '{"op":"subscribe"}', '{"op":"subscribe","channel":"nosuch"}',
                  '{"op":"subscribe","channel":"senate","since":-4}', b"\x00\x01binary"]:
        await ws.send(frame)
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply["op"] == "error" and reply["code"] and reply["message"], reply
        replies.append(reply["code"])
    await ws.send('{"op":"ping"}')
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"op": "pong"}
    await ws.send('{"op":"subscribe","channel":"senate"}')
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["op"] == "snapshot"
    await ws.close()
    return {"errors": replies}


async def stalled():
    healthy = await subscribe()
    stuck = await subscribe(max_queue=1, compression=None)
    await healthy.recv()
    await stuck.recv()
    total, batch = 2000, 25

    def publish_all():
        # Random text does not compress: the stalled socket's buffers really fill.
        for _ in range(0, total, batch):
            publish([notice(base64.b64encode(os.urandom(6000)).decode()) for _ in range(batch)])

    sent_at = time.monotonic()
    reader = asyncio.create_task(receive_events(healthy, total, timeout=90))
    await asyncio.to_thread(publish_all)
    events, _ = await reader
    healthy_seconds = time.monotonic() - sent_at
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + total)), "healthy subscriber missed events"
    # Now the stalled one reads: it must end with close code 4008.
    received = 0
    try:
        while True:
            await asyncio.wait_for(stuck.recv(), 20)
            received += 1
    except websockets.ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else None
        reason = closed.rcvd.reason if closed.rcvd else ""
    assert code == 4008, (code, received)
    assert received < total, received
    await healthy.close()
    return {"healthyReceived": total, "healthySeconds": round(healthy_seconds, 2), "stalledReceivedBeforeClose": received, "closeCode": code, "reason": reason}


def errors():
    other_token = sys.argv[4]
    before = latest()
    cases = [
        ("no token", notice("x"), None, 401),
        ("viewer or other channel", notice("x"), other_token, 403),
        ("forged", notice("x"), TOKEN[:-4] + "AAAA", 401),
        ("not json", b"{nope", TOKEN, 400),
        ("unknown type", {"type": "vote.cast", "data": {}}, TOKEN, 400),
        ("missing field", {"type": "speaker.changed", "data": {}}, TOKEN, 400),
        ("wrong type", {"type": "vote.opened", "data": {"voteId": 7, "motion": "m"}}, TOKEN, 400),
        ("tally for unopened vote", {"type": "vote.tally", "data": {"voteId": "zz", "yes": 1, "no": 0, "abstain": 0, "notVoting": 0}}, TOKEN, 422),
        ("batch with one bad event", [notice("fine"), {"type": "agenda.item", "data": {"itemId": "nowhere"}}], TOKEN, 422),
        ("oversize", [notice("y" * 9000) for _ in range(200)], TOKEN, 413),
    ]
    seen = {}
    for name, body, token, expected in cases:
        status, reply = http("POST", f"/api/v1/channels/{CHANNEL}/events", body, token=token)
        assert status == expected, (name, status, reply)
        assert reply["error"]["code"] and reply["error"]["message"], (name, reply)
        seen[name] = [status, reply["error"]["code"], reply["error"].get("field")]
    assert seen["missing field"][2] == "data.name", seen
    assert seen["batch with one bad event"][2] == "[1].data.itemId", seen
    assert latest() == before, "a refused request stored something"
    first = publish({"id": "same-key", "type": "notice", "data": {"text": "once"}})
    again = publish({"id": "same-key", "type": "notice", "data": {"text": "once"}})
    assert first == again and latest() == before + 1, (first, again)
    return seen


def sse():
    start = latest()
    published = publish([notice(f"sse {i}") for i in range(3)])
    request = urllib.request.Request(f"{BASE}/api/v1/channels/{CHANNEL}/events/stream", headers={"Last-Event-ID": str(start)})
    ids, text = [], ""
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        while len(ids) < 3:
            text += response.read1(65536).decode()  # read1: what has arrived, not a full buffer
            ids = [int(line[4:]) for line in text.split("\n") if line.startswith("id: ")]
    assert ids == [e["seq"] for e in published], ids
    return {"ids": ids}


SCENARIOS = {"fanout": fanout, "resume": resume, "malformed": malformed, "stalled": stalled, "errors": errors, "sse": sse}

if __name__ == "__main__":
    scenario = SCENARIOS[sys.argv[1]]
    result = asyncio.run(scenario()) if asyncio.iscoroutinefunction(scenario) else scenario()
    print(json.dumps(result))
