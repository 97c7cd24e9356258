"""Shared pieces of the independent test clients: HTTP with urllib, raw sockets for what a library would
refuse to send (malformed HTTP, unmasked WebSocket frames), and a /healthz prober.

Clients may spread over loopback source addresses (127.0.0.2 …) as many real viewers would come from
many addresses: the server limits connections per address.
"""
import base64
import json
import multiprocessing
import os
import socket
import struct
import time
import urllib.error
import urllib.parse
import urllib.request


class Server:
    def __init__(self, base, token=None, channel="senate"):
        self.base, self.token, self.channel = base, token, channel
        parsed = urllib.parse.urlparse(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.ws = base.replace("http://", "ws://") + "/ws"

    def http(self, method, path, body=None, token=None, headers=None, timeout=30):
        """(status, parsed JSON, or the raw bytes of anything else) of one request; `token` None uses the
        server's, "" sends none."""
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        token = self.token if token is None else token
        if token:
            request.add_header("Authorization", "Bearer " + token)
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw.strip().startswith((b"{", b"[")) else raw
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                return error.code, json.loads(raw or b"null")
            except ValueError:
                return error.code, raw

    def publish(self, events, expect=201):
        status, body = self.http("POST", f"/api/v1/channels/{self.channel}/events", events)
        assert status == expect, (status, body)
        return body

    def latest(self):
        status, body = self.http("GET", f"/api/v1/channels/{self.channel}/events?since=0&limit=1")
        assert status == 200, body
        return body["latest"]

    def connect(self, source=None, timeout=10):
        """A raw TCP connection, optionally from a loopback source address."""
        return socket.create_connection((self.host, self.port), timeout=timeout, source_address=(source, 0) if source else None)


def notice(text):
    return {"type": "notice", "data": {"text": text}}


def source_address(index, first=2, count=8):
    """127.0.0.{first … first+count-1}, round robin."""
    return f"127.0.0.{first + index % count}"


def read_until_closed(sock, limit=1 << 20):
    """Everything the peer sends until it closes (or the socket times out)."""
    data = b""
    try:
        while len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def ws_handshake(server, source=None, path="/ws"):
    """A raw WebSocket connection after its 101; returns (socket, bytes received after the handshake)."""
    sock = server.connect(source)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {server.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(4096)
        assert chunk, "closed during the handshake"
        received += chunk
    head, rest = received.split(b"\r\n\r\n", 1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    return sock, rest


def ws_frame(opcode, payload, fin=True, mask=True):
    """A client frame, masked unless told otherwise (RFC 6455 §5.2)."""
    length = len(payload)
    first = (0x80 if fin else 0) | opcode
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = bytes([first, mask_bit | length])
    elif length < 65536:
        header = bytes([first, mask_bit | 126]) + struct.pack(">H", length)
    else:
        header = bytes([first, mask_bit | 127]) + struct.pack(">Q", length)
    if not mask:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))


def ws_server_frames(data):
    """(opcode, payload) of each complete server frame in `data`."""
    frames, index = [], 0
    while index + 2 <= len(data):
        opcode, length, start = data[index] & 0x0F, data[index + 1] & 0x7F, index + 2
        if length == 126:
            length, start = struct.unpack(">H", data[start:start + 2])[0], start + 2
        elif length == 127:
            length, start = struct.unpack(">Q", data[start:start + 8])[0], start + 8
        if start + length > len(data):
            break
        frames.append((opcode, data[start:start + length]))
        index = start + length
    return frames


def ws_close_code(data):
    """The code of the server's close frame in `data`, or None."""
    for opcode, payload in ws_server_frames(data):
        if opcode == 8 and len(payload) >= 2:
            return struct.unpack(">H", payload[:2])[0]
    return None


class HealthProbe:
    """Asks GET /healthz every `interval` seconds from its own address and keeps each answer's latency (or
    what went wrong): is the server answering others while under load? Runs in a process of its own, so the
    load this client itself generates (and Python's GIL) does not show up as server latency."""

    def __init__(self, server, source="127.0.0.200", interval=0.05):
        self.server, self.source, self.interval = server, source, interval
        self.latencies = []

    def __enter__(self):
        self._receiver, sender = multiprocessing.Pipe(duplex=False)
        self._stop = multiprocessing.Event()
        self._process = multiprocessing.Process(target=self._run, args=(sender, self._stop), daemon=True)
        self._process.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self.latencies = self._receiver.recv()
        self._process.join()

    def _run(self, sender, stop):
        latencies = []
        while not stop.is_set():
            started = time.monotonic()
            try:
                sock = self.server.connect(self.source, timeout=5)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                answer = read_until_closed(sock)
                sock.close()
                latencies.append(time.monotonic() - started if answer.startswith(b"HTTP/1.1 200") else repr(answer[:60]))
            except OSError as error:
                latencies.append(repr(error))
            stop.wait(self.interval)
        sender.send(latencies)

    def summary(self):
        answered = sorted(latency for latency in self.latencies if isinstance(latency, float))
        failures = [latency for latency in self.latencies if not isinstance(latency, float)]

        def percentile(p):
            return round(answered[min(len(answered) - 1, int(p * len(answered)))] * 1000, 1) if answered else None

        return {"probes": len(self.latencies), "failures": len(failures), "failureReasons": failures[:3], "p50Ms": percentile(0.5), "p99Ms": percentile(0.99),
                "maxMs": round(answered[-1] * 1000, 1) if answered else None}


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def browser(extra_flags=(), prefs=None):
    """Headless Chromium driven by Selenium, as TESTING.md describes; `prefs`: Chromium profile preferences
    (e.g. {"profile.default_content_setting_values.notifications": 1} allows notifications)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--autoplay-policy=no-user-gesture-required", "--disable-dev-shm-usage",
                 "--window-size=1280,1000", "--lang=th-TH", *extra_flags]:
        options.add_argument(flag)
    if prefs:
        options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait(condition, timeout, what):
    """Polls until condition() is truthy; returns (value, seconds waited)."""
    start = time.time()
    last_error = None
    while time.time() - start < timeout:
        try:
            value = condition()
            if value:
                return value, time.time() - start
        except Exception as error:  # the page may be between renders
            last_error = error
        time.sleep(0.03)
    raise AssertionError(f"timed out after {timeout}s: {what} (last error: {last_error})")
