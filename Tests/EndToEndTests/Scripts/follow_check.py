#!/usr/bin/env python3
"""WebSocket `follow`: a subscriber following one bill receives only the events about it; one following a
Thai keyword receives only the final transcript lines that say it (inside Thai text, with no spaces).

usage: follow_check.py BASE_URL OPERATOR_TOKEN
Prints the seqs received; exits non-zero with the reason when a check fails.
"""
import asyncio
import json
import sys
import urllib.request

import websockets

BASE, TOKEN = sys.argv[1], sys.argv[2]


def publish(events):
    request = urllib.request.Request(f"{BASE}/api/v1/channels/senate/events", data=json.dumps(events).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.load(reply)


async def main():
    async with websockets.connect(BASE.replace("http", "ws") + "/ws") as socket:
        await socket.send(json.dumps({"op": "follow", "billId": "b-water"}))
        following = json.loads(await socket.recv())
        assert following == {"op": "following", "billIds": ["b-water"], "itemIds": [], "tags": [], "keywords": []}, following
        await socket.send(json.dumps({"op": "subscribe", "channel": "senate"}))
        snapshot = json.loads(await socket.recv())
        assert snapshot["op"] == "snapshot", snapshot
        stored = publish([
            {"type": "sitting.started", "data": {"title": "follow", "chamber": "senate", "number": 1, "scheduledAt": "2026-11-23T02:00:00Z"}},
            {"type": "agenda.set", "data": {"items": [{"id": "w", "number": "1", "title": "น้ำ", "billId": "b-water", "tags": ["water"]},
                                                      {"id": "t", "number": "2", "title": "ภาษี", "billId": "b-tax"}]}},
            {"type": "agenda.item", "data": {"itemId": "t"}},
            {"type": "vote.opened", "data": {"voteId": "vt", "itemId": "t", "motion": "tax"}},
            {"type": "vote.closed", "data": {"voteId": "vt", "result": "passed", "yes": 1, "no": 0, "abstain": 0, "notVoting": 0, "records": []}},
            {"type": "agenda.item", "data": {"itemId": "w"}},
            {"type": "vote.opened", "data": {"voteId": "vw", "itemId": "w", "motion": "water"}},
            {"type": "vote.tally", "data": {"voteId": "vw", "yes": 1, "no": 0, "abstain": 0, "notVoting": 0}},
            {"type": "vote.closed", "data": {"voteId": "vw", "result": "passed", "yes": 2, "no": 0, "abstain": 0, "notVoting": 0, "records": []}},
            {"type": "notice", "data": {"text": "not about a bill"}},
        ])
        wanted = [event["seq"] for event in stored if event["type"] in ("agenda.set",) or event["data"].get("voteId") == "vw" or event["data"].get("itemId") == "w"]
        received = []
        while len(received) < len(wanted):
            message = json.loads(await asyncio.wait_for(socket.recv(), 5))
            if message["op"] == "event":
                received.append(message["seq"])
        assert received == wanted, f"received {received}, wanted {wanted}"
        try:
            extra = json.loads(await asyncio.wait_for(socket.recv(), 1))
            raise AssertionError(f"an event not about the bill arrived: {extra}")
        except asyncio.TimeoutError:
            pass
        # Unfollowing everything lets every event through again.
        await socket.send(json.dumps({"op": "unfollow"}))
        assert json.loads(await socket.recv())["billIds"] == []
        notice = publish({"type": "notice", "data": {"text": "for everyone"}})
        message = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert message["op"] == "event" and message["seq"] == notice["seq"], message

        # A keyword: only final lines that say it, found inside a Thai sentence.
        await socket.send(json.dumps({"op": "follow", "keyword": "งบประมาณ"}))
        following = json.loads(await socket.recv())
        assert following["keywords"] == ["งบประมาณ"], following
        await socket.send(json.dumps({"op": "follow", "keyword": "า"}))
        refused = json.loads(await socket.recv())
        assert refused["op"] == "error" and refused["code"] == "invalid_value", refused
        await socket.send(json.dumps({"op": "follow", "keywords": [f"คำ{n}" for n in range(20)]}))
        refused = json.loads(await socket.recv())
        assert refused["op"] == "error" and refused["code"] == "too_many_keywords", refused

        def line(line_id, text, final):
            return {"type": "transcript.line", "data": {"lineId": line_id, "text": text, "lang": "th", "final": final,
                                                        "start": "2026-11-23T02:10:00Z", "end": "2026-11-23T02:10:04Z"}}
        said = publish([
            line("L1", "ที่ประชุมพิจารณางบประ", False),
            line("L1", "ที่ประชุมพิจารณางบประมาณรายจ่ายประจำปี", True),
            line("L2", "ขอให้ที่ประชุมลงมติ", True),
            {"type": "notice", "data": {"text": "งบประมาณ in a notice is not a line"}},
            {"type": "agenda.item", "data": {"itemId": "w"}},
        ])
        message = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert message["op"] == "event" and message["seq"] == said[1]["seq"], message
        try:
            extra = json.loads(await asyncio.wait_for(socket.recv(), 1))
            raise AssertionError(f"an event that does not say the keyword arrived: {extra}")
        except asyncio.TimeoutError:
            pass
        print(json.dumps({"received": received, "keyword": said[1]["seq"]}))


asyncio.run(main())
