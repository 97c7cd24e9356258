"""Hostile and broken clients against the real server, over raw sockets.

Usage: python3 hardening_check.py SCENARIO BASE_URL [ARGS…]
  malformed BASE TOKEN      each malformed request is answered (400/431) within a second and its connection closed
  slowloris BASE PID N      N connections that trickle a request head: the server keeps serving others,
                            refuses what is over the per-address limit, times the rest out, its fds stay bounded
  websocket BASE            frame and message limits, UTF-8 and masking (close codes 1009, 1007, 1002)
  stuck BASE N              opens N WebSocket connections that never read nor answer a close, prints
                            "ready" and holds them until killed (for the drain test)
  targets BASE TOKEN PORT   with the default policy, webhook URLs that lead into the server's own network
                            (PORT: a receiver on 127.0.0.1) are refused and nothing reaches the receiver
  inputs BASE TOKEN ROOT F  input URLs outside what FFmpeg may open here, files outside ROOT, pulls from
                            private addresses and control characters in options are refused; the file F
                            inside ROOT and a listener are accepted
  tokens BASE SECRET        a JWT whose nbf is in the future is refused; one whose nbf has passed works
  stalled BASE TOKEN PID N  N subscribers that never read while 2,000 events of 6 KB go out: each is closed
                            (4008), five healthy ones get everything, the server's memory stays bounded
Exit status 0 means every check passed; a JSON summary is printed.
"""
import json
import os
import socket
import sys
import threading
import time

from senate_client import HealthProbe, Server, notice, open_fds, read_until_closed, source_address, ws_close_code, ws_frame, ws_handshake

SERVER = Server(sys.argv[2])
EVENTS = "/api/v1/channels/senate/events"


def malformed():
    token = sys.argv[3]
    cases = [
        ("conflicting Content-Length", f"POST {EVENTS} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        ("duplicate Content-Length", f"POST {EVENTS} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
        ("Content-Length with chunked", f"POST {EVENTS} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("Content-Length -1", f"POST {EVENTS} HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
        ("chunk size zz", f"POST {EVENTS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc", 400),
        # A huge chunk is well-formed: the publish reads up to its limit, answers 413 and closes.
        ("chunk size 2^64-1", f"POST {EVENTS} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n" + "a" * 1_200_000, 413),
        ("header without a colon", "GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n", 400),
        ("NUL in a header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
        ("non-ASCII request line", "GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        ("headers over the limit", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * 40_000 + "\r\n\r\n", 431),
        ("not HTTP at all", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + "\x00" * 40, 400),
    ]
    results = {}
    for name, request, expected in cases:
        sock = SERVER.connect(timeout=5)
        started = time.monotonic()
        try:
            sock.sendall(request.encode("latin-1"))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before taking all of a large request
        answer = read_until_closed(sock)
        elapsed = time.monotonic() - started
        sock.close()
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
        assert status == expected, (name, answer[:200])
        assert elapsed < 1.0, (name, f"answer and close took {elapsed:.2f} s")
        assert b"connection: close" in answer.lower(), (name, answer[:300])
        results[name] = {"status": status, "seconds": round(elapsed, 3)}
    assert SERVER.http("GET", "/healthz")[0] == 200
    return results


def slowloris():
    pid, count = int(sys.argv[3]), int(sys.argv[4])
    base_fds = open_fds(pid)
    sockets, connect_failures = [], 0
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: yes\r\n"
    trickling = threading.Event()

    def trickle():
        # One byte of a request head per connection every second: never a complete head.
        sent = {}
        while not trickling.wait(1):
            for sock in list(sockets):
                position = sent.get(sock, 0)
                if position < len(head):
                    try:
                        sock.send(head[position:position + 1])
                    except OSError:
                        pass
                    sent[sock] = position + 1

    peak = base_fds
    with HealthProbe(SERVER) as probe:
        started = time.monotonic()
        threading.Thread(target=trickle, daemon=True).start()
        for index in range(count):
            try:
                sockets.append(SERVER.connect("127.0.0.1", timeout=30))
            except OSError:
                connect_failures += 1
            if index % 100 == 0:
                peak = max(peak, open_fds(pid))
        while time.monotonic() - started < 4:
            peak = max(peak, open_fds(pid))
            time.sleep(0.2)
        # Every connection has been answered by now: 503 (over the limit) or 408 (too slow).
        answers = {}
        for sock in sockets:
            sock.settimeout(10)
            answer = read_until_closed(sock)
            status = answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/1.1 ") else "closed"
            answers[status] = answers.get(status, 0) + 1
            sock.close()
        trickling.set()
        time.sleep(3)
        after_fds = open_fds(pid)
    health = probe.summary()
    assert health["failures"] == 0 and health["maxMs"] < 1000, health
    assert set(answers) <= {"503", "408"}, answers
    assert answers.get("503", 0) > 0 and answers.get("408", 0) > 0, answers
    limit = count - answers.get("503", 0)
    assert peak <= base_fds + limit + 64, (peak, base_fds, limit)
    assert after_fds <= base_fds + 16, (after_fds, base_fds)
    return {"connections": count, "answers": answers, "connectFailures": connect_failures, "baseFds": base_fds, "peakFds": peak,
            "fdsAfter": after_fds, "health": health}


def websocket():
    cases = [
        ("single frame over the limit", [ws_frame(1, b'{"op":"ping","x":"' + b"a" * 20_000 + b'"}')], 1009),
        ("16 MB frame", [ws_frame(2, b"\0" * (16 << 20))], 1009),
        ("fragmented message over the limit", [ws_frame(1, b"a" * 9000, fin=False), ws_frame(0, b"a" * 9000)], 1009),
        ("invalid UTF-8 text", [ws_frame(1, b'{"op":"ping","x":"\xff\xfe"}')], 1007),
        ("unmasked frame", [ws_frame(1, b'{"op":"ping"}', mask=False)], 1002),
        ("unmasked ping", [ws_frame(9, b"", mask=False)], 1002),
        ("control frame over 125 bytes", [ws_frame(9, b"p" * 200)], 1002),
        ("clean close", [ws_frame(1, b'{"op":"ping"}'), ws_frame(8, b"\x03\xe8")], 1000),
    ]
    results = {}
    # A frame sent right behind the upgrade request, in the same packet: handed on, answered.
    sock = SERVER.connect()
    sock.settimeout(5)
    sock.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" + ws_frame(1, b'{"op":"ping"}'))
    received = b""
    while b'{"op":"pong"}' not in received:
        chunk = sock.recv(4096)
        assert chunk, ("closed before the pong", received)
        received += chunk
    sock.close()
    results["frame behind the upgrade request"] = "pong"
    # An upgrade request is HTTP until the 101: one whose body never comes is timed out (408), one the
    # upgrader refuses (no key) is answered 400.
    upgrade = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    for name, request, expected in [
        ("upgrade request whose body never comes", upgrade + b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 5\r\n\r\nab", 408),
        ("upgrade request without a key", upgrade + b"\r\n", 400),
    ]:
        sock = SERVER.connect()
        sock.settimeout(30)
        sock.sendall(request)
        started = time.monotonic()
        answer = read_until_closed(sock)
        sock.close()
        assert answer.startswith(f"HTTP/1.1 {expected} ".encode()), (name, answer[:100])
        results[name] = {"status": expected, "seconds": round(time.monotonic() - started, 2)}
    for name, frames, expected in cases:
        sock, received = ws_handshake(SERVER)
        sock.settimeout(5)
        started = time.monotonic()
        try:
            for frame in frames:
                sock.sendall(frame)
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed by the server part way through a frame too large to take
        received += read_until_closed(sock)
        code = ws_close_code(received)
        assert code == expected, (name, code, received[:120])
        results[name] = {"closeCode": code, "seconds": round(time.monotonic() - started, 3)}
        sock.close()
    assert SERVER.http("GET", "/healthz")[0] == 200
    return results


def stuck():
    count = int(sys.argv[3])
    held = []
    for index in range(count):
        sock, _ = ws_handshake(SERVER, source=source_address(index))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        held.append(sock)
        sock.sendall(ws_frame(1, b'{"op":"subscribe","channel":"senate"}'))
    print("ready", flush=True)
    time.sleep(600)


def own_addresses():
    """This machine's non-loopback IPv4 addresses (the server itself, reached by another name)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: only picks the outgoing address
        return [probe.getsockname()[0]]
    except OSError:
        return []
    finally:
        probe.close()


def targets():
    server = Server(sys.argv[2], sys.argv[3])
    port = int(sys.argv[4])
    urls = [f"http://127.0.0.1:{port}/hook", f"http://localhost:{port}/hook", f"http://0.0.0.0:{port}/hook",
            f"http://[::1]:{port}/hook", "http://169.254.169.254/latest/meta-data/", f"HTTP://127.0.0.1:{port}/hook",
            f"http://2130706433:{port}/hook", f"http://127.1:{port}/hook", "http://10.0.0.1/hook", "http://[::ffff:127.0.0.1]/hook",
            f"{server.base}/api/v1/webhooks"] + [f"http://{address}:{port}/hook" for address in own_addresses()]
    results = {}
    for url in urls + [f"http://user:password@127.0.0.1:{port}/hook", "ftp://127.0.0.1/hook", "javascript:alert(1)"]:
        status, body = server.http("POST", "/api/v1/webhooks", {"url": url, "secret": "a-secret-of-enough-bytes"})
        assert status in (400, 422), (url, status, body)
        assert body["error"]["field"] == "url", (url, body)
        results[url] = [status, body["error"]["code"]]
    status, listed = server.http("GET", "/api/v1/webhooks")
    assert status == 200 and listed["webhooks"] == [], listed
    return results


def inputs():
    server = Server(sys.argv[2], sys.argv[3])
    root = sys.argv[4]
    path = "/api/v1/channels/senate/input"
    cases = [
        ({"url": "/etc/passwd"}, 403, "file_not_allowed"),
        ({"url": "file:///etc/passwd"}, 403, "file_not_allowed"),
        ({"url": f"{root}/../../../../etc/passwd"}, 403, "file_not_allowed"),
        ({"url": f"{root}/missing.mp4"}, 403, "file_not_allowed"),
        ({"url": "concat:/etc/passwd|/etc/hosts"}, 400, "invalid_url"),
        ({"url": "subfile,,start,0,end,0,,:/etc/passwd"}, 400, "invalid_url"),
        ({"url": "gopher://127.0.0.1:25/"}, 400, "invalid_url"),
        ({"url": "udp://127.0.0.1:9999", "options": {"protocol_whitelist": "file,udp"}}, 400, "invalid_value"),
    ]
    # A link inside the root that points out of it is outside.
    link = os.path.join(root, "escape.mp4")
    if not os.path.lexists(link):
        os.symlink("/etc/hosts", link)
    cases += [
        ({"url": link}, 403, "file_not_allowed"),
        ({"url": "http://127.0.0.1:9/live.m3u8"}, 422, "address_not_allowed"),
        ({"url": "rtsp://169.254.169.254/stream"}, 422, "address_not_allowed"),
        ({"url": "srt://[::1]:9000?mode=caller"}, 422, "address_not_allowed"),
        ({"url": "rtmp://0.0.0.0:1935/live/x", "options": {"user_agent": "x\r\nMetadata-Flavor: Google"}}, 400, "invalid_value"),
    ]
    results = {}
    for body, expected, code in cases:
        status, reply = server.http("PUT", path, body)
        assert status == expected and reply["error"]["code"] == code, (body, status, reply)
        results[body["url"]] = [status, code]
    # What is allowed is started: a file inside the root, a listener.
    for body in [{"url": os.path.join(root, sys.argv[5]), "loop": True}, {"url": "rtmp://127.0.0.1:0/live/x", "options": {"listen": "1"}}]:
        status, reply = server.http("PUT", path, body)
        assert status == 202, (body, status, reply)
        results[body["url"]] = [status, reply["state"]]
    assert server.http("DELETE", path)[0] == 200
    return results


def jwt(secret, claims):
    import base64
    import hashlib
    import hmac

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=")
    signing = part({"alg": "HS256", "typ": "JWT"}) + b"." + part(claims)
    signature = base64.urlsafe_b64encode(hmac.new(secret.encode(), signing, hashlib.sha256).digest()).rstrip(b"=")
    return (signing + b"." + signature).decode()


def tokens():
    server = Server(sys.argv[2])
    secret, now = sys.argv[3], int(time.time())
    claims = {"sub": "operator", "exp": now + 3600, "role": "operator", "channels": ["senate"]}
    event = {"type": "notice", "data": {"text": "nbf"}}
    early = server.http("POST", "/api/v1/channels/senate/events", event, token=jwt(secret, {**claims, "nbf": now + 600}))
    assert early[0] == 401, early
    passed = server.http("POST", "/api/v1/channels/senate/events", event, token=jwt(secret, {**claims, "nbf": now - 60}))
    assert passed[0] == 201, passed
    expired = server.http("POST", "/api/v1/channels/senate/events", event, token=jwt(secret, {**claims, "exp": now - 60}))
    assert expired[0] == 401, expired
    return {"notYetValid": early[0], "valid": passed[0], "expired": expired[0]}


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def metric(server, name):
    status, text = server.http("GET", "/metrics")
    lines = [line for line in text.decode().split("\n") if line.startswith(name + " ") or line.startswith(name + "{")]
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines)


def stalled():
    import asyncio
    import base64
    import os

    import websockets

    server = Server(sys.argv[2], sys.argv[3])
    pid, count = int(sys.argv[4]), int(sys.argv[5])
    before_drops = metric(server, "senate_live_slow_subscribers_dropped_total")
    base_fds = open_fds(pid)
    stuck = []
    for index in range(count):
        sock, _ = ws_handshake(server, source=source_address(index))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(ws_frame(1, b'{"op":"subscribe","channel":"senate"}'))
        stuck.append(sock)
    time.sleep(1)
    base_rss = rss_kb(pid)
    total, batch = 2000, 25

    async def run():
        healthy = [await websockets.connect(server.ws, max_size=None, compression=None) for _ in range(5)]
        for ws in healthy:
            await ws.send(json.dumps({"op": "subscribe", "channel": "senate"}))
            json.loads(await ws.recv())
        peak = [base_rss]

        def publish_all():
            for _ in range(0, total, batch):
                server.publish([notice(base64.b64encode(os.urandom(4500)).decode()) for _ in range(batch)])
                peak[0] = max(peak[0], rss_kb(pid))

        async def receive(ws):
            seqs = []
            while len(seqs) < total:
                message = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if message["op"] == "event":
                    seqs.append(message["seq"])
            return seqs

        readers = [asyncio.create_task(receive(ws)) for ws in healthy]
        await asyncio.to_thread(publish_all)
        results = await asyncio.gather(*readers)
        for ws in healthy:
            await ws.close()
        return results, peak[0]

    results, peak = asyncio.run(run())
    assert all(seqs == list(range(seqs[0], seqs[0] + total)) for seqs in results), "a healthy subscriber missed events"
    deadline = time.time() + 40
    while metric(server, "senate_live_slow_subscribers_dropped_total") - before_drops < count and time.time() < deadline:
        time.sleep(0.5)
    dropped = metric(server, "senate_live_slow_subscribers_dropped_total") - before_drops
    assert dropped >= count, (dropped, count)
    # Their close frames wait behind what they never read: the server ends the TCP connections itself.
    deadline = time.time() + 45
    while open_fds(pid) > base_fds + 16 and time.time() < deadline:
        time.sleep(0.5)
    assert open_fds(pid) <= base_fds + 16, ("the server did not close the stalled connections", open_fds(pid), base_fds)
    for sock in stuck:
        sock.close()
    time.sleep(1)
    after = rss_kb(pid)
    growth = peak - base_rss
    # Each stalled subscriber may hold up to relay.subscriberBufferBytes (1 MiB) of unsent events, and the
    # kernel its socket buffers; past that it is closed.
    assert growth < count * 1100 + 64_000, (growth, count)
    return {"stalled": count, "dropped4008": int(dropped), "healthyReceivedEach": total, "rssBeforeMB": round(base_rss / 1024, 1),
            "rssPeakMB": round(peak / 1024, 1), "rssAfterMB": round(after / 1024, 1), "peakGrowthPerStalledKB": round(growth / count, 1)}


SCENARIOS = {"malformed": malformed, "slowloris": slowloris, "websocket": websocket, "stuck": stuck, "targets": targets,
             "inputs": inputs, "tokens": tokens, "stalled": stalled}

if __name__ == "__main__":
    print(json.dumps(SCENARIOS[sys.argv[1]]()))
