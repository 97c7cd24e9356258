#!/usr/bin/env python3
"""The reference sender for the push benchmark: a plain Python Web Push sender doing the server's job
(one aes128gcm message per subscription, RFC 8291, with a VAPID token per push service, RFC 8292), for
comparing the server's throughput against. A benchmark tool, not a test.

For every subscription line (as written by Tests/EndToEndTests/Scripts/push_service.py make) it
encrypts the payload with http_ece under a fresh ephemeral P-256 key, and POSTs it with `TTL: 3600`,
`Urgency: high`, `Content-Encoding: aes128gcm` and `Authorization: vapid t=JWT, k=KEY`. The JWT (ES256,
aud = the endpoint's origin, exp = now + 12 h, sub = --subject) is signed once per origin and reused.
Requests go over --concurrency keep-alive HTTP/1.1 connections (a hand-rolled asyncio client, one
request in flight per connection); a connection that fails is reopened once per request. No retries
of 429/5xx answers: every push is one request.

Usage: push_reference.py --subscriptions FILE --vapid-private B64URL --subject mailto:x@y
                         --payload-file P [--concurrency 64]
Prints one JSON line: {"sent": n, "ok": n (2xx answers), "seconds": s, "perSecond": sent/s,
"byStatus": {"201": n, ...}} (status "error" counts requests that got no answer). seconds covers the
sending only, not reading the subscriptions file.
"""
import argparse
import asyncio
import base64
import json
import ssl
import sys
import time
import urllib.parse

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Vapid:
    """ES256 tokens per audience, cached until an hour before they expire."""

    LIFETIME = 12 * 3600

    def __init__(self, private_b64, subject):
        self.key = ec.derive_private_key(int.from_bytes(unb64url(private_b64), "big"), ec.SECP256R1())
        self.public = b64url(self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
        self.subject = subject
        self.cache = {}  # audience -> (header value, exp)

    def authorization(self, audience):
        cached = self.cache.get(audience)
        now = time.time()
        if cached is None or cached[1] - now < 3600:
            exp = int(now) + self.LIFETIME
            head = b64url(json.dumps({"typ": "JWT", "alg": "ES256"}, separators=(",", ":")).encode())
            claims = b64url(json.dumps({"aud": audience, "exp": exp, "sub": self.subject}, separators=(",", ":")).encode())
            # cryptography signs DER; a JWS ES256 signature is r||s, 32 bytes each (RFC 7518 §3.4).
            r, s = decode_dss_signature(self.key.sign(f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256())))
            token = f"{head}.{claims}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
            cached = self.cache[audience] = (f"vapid t={token}, k={self.public}", exp)
        return cached[0]


class Target:
    """Where one subscription's pushes go, parsed once."""

    __slots__ = ("scheme", "host", "port", "origin", "path", "p256dh", "auth")

    def __init__(self, line):
        sub = json.loads(line)
        url = urllib.parse.urlsplit(sub["endpoint"])
        if url.scheme not in ("http", "https"):
            raise ValueError(f"endpoint {sub['endpoint']!r} is not http(s)")
        self.scheme, self.host = url.scheme, url.hostname
        self.port = url.port or (443 if url.scheme == "https" else 80)
        # The origin is the VAPID audience (RFC 8292 §2): scheme://host[:port], no path.
        self.origin = f"{url.scheme}://{url.netloc.rpartition('@')[2]}"
        self.path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self.p256dh = unb64url(sub["keys"]["p256dh"])
        self.auth = unb64url(sub["keys"]["auth"])


class Client:
    """One keep-alive HTTP/1.1 connection per origin, one request at a time."""

    def __init__(self):
        self.connections = {}  # (scheme, host, port) -> (reader, writer)

    async def request(self, target, head, body):
        """Sends one request; returns the status (reopening a failed keep-alive connection once)."""
        for attempt in range(2):
            key = (target.scheme, target.host, target.port)
            connection = self.connections.get(key)
            fresh = connection is None
            if fresh:
                context = ssl.create_default_context() if target.scheme == "https" else None
                connection = await asyncio.open_connection(target.host, target.port, ssl=context)
                self.connections[key] = connection
            reader, writer = connection
            try:
                writer.write(head + body)
                return await self.response(reader, key)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                self.drop(key)
                if fresh or attempt == 1:
                    raise
        raise AssertionError("unreachable")

    async def response(self, reader, key):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        elif "content-length" in headers:
            await reader.readexactly(int(headers["content-length"]))
        elif status not in (204, 304) and status >= 200:
            await reader.read()  # body delimited by the end of the connection
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.drop(key)
        return status

    def drop(self, key):
        connection = self.connections.pop(key, None)
        if connection:
            connection[1].close()

    def close(self):
        for key in list(self.connections):
            self.drop(key)


async def run(args):
    with open(args.subscriptions, encoding="utf-8") as lines:
        targets = [Target(line) for line in lines if line.strip()]
    with open(args.payload_file, "rb") as file:
        payload = file.read()
    vapid = Vapid(args.vapid_private, args.subject)
    by_status = {}
    pending = iter(targets)

    async def worker():
        client = Client()
        try:
            for target in pending:  # one shared iterator: each subscription goes to exactly one worker
                body = http_ece.encrypt(payload, private_key=ec.generate_private_key(ec.SECP256R1()),
                                        dh=target.p256dh, auth_secret=target.auth, version="aes128gcm")
                head = (f"POST {target.path} HTTP/1.1\r\nHost: {target.origin.split('://', 1)[1]}\r\n"
                        f"TTL: 3600\r\nUrgency: high\r\nContent-Encoding: aes128gcm\r\n"
                        f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n"
                        f"Authorization: {vapid.authorization(target.origin)}\r\n\r\n").encode("latin-1")
                try:
                    status = str(await client.request(target, head, body))
                except (ConnectionError, asyncio.IncompleteReadError, OSError, ValueError):
                    status = "error"
                by_status[status] = by_status.get(status, 0) + 1
        finally:
            client.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    seconds = time.perf_counter() - start
    sent = len(targets)
    ok = sum(n for status, n in by_status.items() if status.startswith("2"))
    print(json.dumps({"sent": sent, "ok": ok, "seconds": round(seconds, 3),
                      "perSecond": round(sent / seconds, 1) if seconds > 0 else None,
                      "byStatus": dict(sorted(by_status.items()))}), flush=True)


def main():
    parser = argparse.ArgumentParser(description="Reference Python Web Push sender for the push benchmark.")
    parser.add_argument("--subscriptions", required=True, help="JSON lines from push_service.py make")
    parser.add_argument("--vapid-private", required=True, help="the 32-byte VAPID private key, base64url")
    parser.add_argument("--subject", required=True, help="VAPID sub: mailto: or https: URI")
    parser.add_argument("--payload-file", required=True)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    if args.concurrency < 1:
        parser.error("--concurrency must be >= 1")
    asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
