"""Dates at the edges, and event rows that do not read, against the real server.

Usage: python3 poison_check.py SCENARIO ARGS…
  dates BASE TOKEN          dates outside 1900..2200 are refused (422, the field named) and nothing is stored;
                            dates at the edges are stored and read back exactly, over HTTP and WebSocket
  corrupt DATABASE          (server stopped) appends two rows behind the server's back: one with the `at` an
                            old version wrote for year 0, one whose data is not JSON; prints their seqs
  after BASE TOKEN FROM     (server restarted) publishes three notices, then checks that history, a
                            WebSocket resume and SSE from FROM skip the two rows, report the hole, and carry
                            every event after them
Exit status 0 means every check passed; a JSON summary is printed.
"""
import asyncio
import json
import sqlite3
import sys
import urllib.request

import websockets

from senate_client import Server, notice


def dates():
    server = Server(sys.argv[2], sys.argv[3])
    before = server.latest()
    refused = {
        "year 0": ({"type": "notice", "at": "0000-01-01T00:00:00.000Z", "data": {"text": "x"}}, "at"),
        "before 1582": ({"type": "notice", "at": "1000-01-01T00:00:00Z", "data": {"text": "x"}}, "at"),
        "year 2200": ({"type": "notice", "at": "2200-01-01T00:00:00Z", "data": {"text": "x"}}, "at"),
        "a transcript line starting in year 0": ({"type": "transcript.line", "data": {
            "lineId": "l1", "text": "x", "lang": "th", "start": "0000-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z", "final": True}},
            "data.start"),
    }
    results = {}
    for name, (event, field) in refused.items():
        status, body = server.http("POST", f"/api/v1/channels/{server.channel}/events", event)
        assert status == 422 and body["error"]["code"] == "date_out_of_range" and body["error"]["field"] == field, (name, status, body)
        results[name] = [status, body["error"]["field"]]
    assert server.latest() == before, "a refused date was stored"
    kept = ["1900-01-01T00:00:00.000Z", "2199-12-31T23:59:59.999Z", "2026-11-22T09:41:07.250Z"]
    stored = [server.publish({"type": "notice", "at": at, "data": {"text": at}}) for at in kept]
    assert [event["at"] for event in stored] == kept, stored
    offset = server.publish({"type": "notice", "at": "2026-11-22T16:41:07.25+07:00", "data": {"text": "offset"}})
    assert offset["at"] == "2026-11-22T09:41:07.250Z", offset
    status, page = server.http("GET", f"/api/v1/channels/{server.channel}/events?since={before}")
    assert [event["at"] for event in page["events"]] == kept + [offset["at"]], page

    async def replay():
        async with websockets.connect(server.ws) as ws:
            await ws.send(json.dumps({"op": "subscribe", "channel": server.channel, "since": before}))
            return [json.loads(await asyncio.wait_for(ws.recv(), 10))["at"] for _ in range(4)]

    assert asyncio.run(replay()) == kept + [offset["at"]]
    results["kept"] = kept
    return results


def corrupt():
    database = sqlite3.connect(sys.argv[2])
    channel = "senate"
    (head,) = database.execute("SELECT seq FROM channels WHERE channel = ?", (channel,)).fetchone()
    rows = [
        (channel, head + 1, "poison-at", None, "notice", "-001-12-30T00:00:00.000Z", json.dumps({"text": "year 0 as once stored"}), None),
        (channel, head + 2, "poison-data", None, "notice", "2026-11-22T09:41:07.250Z", "{not json", None),
    ]
    database.executemany("INSERT INTO events (channel, seq, id, sitting, type, at, data, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    database.execute("UPDATE channels SET seq = ? WHERE channel = ?", (head + 2, channel))
    database.commit()
    return {"head": head, "corrupted": [head + 1, head + 2]}


def after():
    server = Server(sys.argv[2], sys.argv[3])
    since = int(sys.argv[4])
    fresh = server.publish([notice(f"after the poison {i}") for i in range(3)])
    assert [event["seq"] for event in fresh] == [since + 3, since + 4, since + 5], fresh
    status, page = server.http("GET", f"/api/v1/channels/{server.channel}/events?since={since}")
    assert status == 200 and [event["seq"] for event in page["events"]] == [since + 3, since + 4, since + 5], (status, page)

    async def resume():
        async with websockets.connect(server.ws) as ws:
            await ws.send(json.dumps({"op": "subscribe", "channel": server.channel, "since": since}))
            return [json.loads(await asyncio.wait_for(ws.recv(), 10)) for _ in range(4)]

    messages = asyncio.run(resume())
    assert messages[0] == {"op": "gap", "channel": server.channel, "from": since + 1, "to": since + 2}, messages[0]
    assert [message["seq"] for message in messages[1:]] == [since + 3, since + 4, since + 5], messages
    request = urllib.request.Request(f"{server.base}/api/v1/channels/{server.channel}/events/stream", headers={"Last-Event-ID": str(since)})
    text = ""
    with urllib.request.urlopen(request, timeout=10) as response:
        while text.count("\n\n") < 4:
            text += response.read1(65536).decode()
    blocks = text.split("\n\n")
    assert blocks[0].startswith("event: gap"), blocks[0]
    ids = [int(line[4:]) for line in text.split("\n") if line.startswith("id: ")]
    assert ids[:3] == [since + 3, since + 4, since + 5], ids
    return {"history": [event["seq"] for event in page["events"]], "gap": messages[0], "sse": ids[:3]}


SCENARIOS = {"dates": dates, "corrupt": corrupt, "after": after}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]]()))
