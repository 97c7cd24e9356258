#!/usr/bin/env python3
"""A local Web Push service (RFC 8030) on 127.0.0.1: the independent other end of the server's Web Push
sender. It checks every push it verifies with its own code: the VAPID token (RFC 8292) with
`cryptography`, the aes128gcm body (RFC 8188/8291) with `http_ece`.

  push_service.py make --count N --endpoint-base BASE --out FILE [--shared-key]
      writes N subscriptions as JSON lines: {"id": "s0", "endpoint": "BASE/push/s0",
      "keys": {"p256dh", "auth"}, "private"} (base64url, no padding; private is the 32-byte P-256
      scalar). --shared-key: one key pair and auth secret for every line (fast for 300,000 lines).

  push_service.py serve --subscriptions FILE --port-file PF --log LOG [--port 0]
                        [--behaviour BEHAV.json] [--sample K] [--audience ORIGIN]
      answers `POST /push/<id>`: 201 Created with `Location: /message/<uuid>` when the push is valid,
      400 {"error": ...} when a check fails (413 when the body is over 4096 bytes, as RFC 8030 §7.2
      says), 404 {"error": "unknown subscription"} for an id not in FILE. The chosen port is written
      to PF (atomically) once listening. Exits cleanly on SIGTERM.

Checks: `Content-Encoding: aes128gcm`; `TTL` an integer >= 0; `Urgency`, if present, one of very-low,
low, normal, high; `Topic`, if present, at most 32 base64url characters (RFC 8030 §5.4);
`Authorization: vapid t=JWT, k=KEY` with an ES256 JWT whose signature verifies with KEY, `aud` the
endpoint's origin (--audience, default http://127.0.0.1:PORT), `exp` in the future and at most 24 h
(+60 s) away, `sub` a mailto: or https: URI; a body of at most 4096 bytes in one aes128gcm record
whose key id is the sender's 65-byte ephemeral key, that decrypts with the subscription's keys to JSON.

--sample K verifies (signature and decryption) only every K-th push, for benchmarks; the header
checks still run on every push. A verified Authorization value is cached either way (the signature
of the same string with the same key cannot change); its exp is re-checked on every use.

Behaviour file (JSON object; key: a subscription id, or "*" for all; an id's entry overrides "*"):
  {"s3": {"status": 410}}                            always answer 410 (likewise 404, 500, ...)
  {"s5": {"status": 429, "times": 2, "retryAfter": 2}}  the first 2 pushes get 429 + `Retry-After: 2`,
                                                     then the normal answer
  {"*": {"delayMs": 200}}                            answer every push 200 ms late (for kill -9 tests)
A push failing a check gets its 400 whatever the behaviour; `times` counts only valid pushes.
Pushes are decided, counted and logged when they arrive, so a push whose answer never reaches the
sender (it was killed during the delay) still counts.

LOG: one JSON line per push, flushed at once (every 0.25 s with --sample K > 1):
  {"id", "status", "ttl": int|null, "urgency", "topic", "verified": bool, "payload": JSON|null,
   "error": str|null, "t": epoch seconds}
verified is true when the full checks ran and passed; payload is then the decrypted JSON.

GET /stats: {"requests", "byStatus": {"201": n, ...}, "invalid" (400/413), "accepted" (201),
"distinctAccepted" (ids answered 201), "duplicates" (201s beyond an id's first), "first", "last"
(epoch of the first and the last 201, or null)}.
"""
import argparse
import asyncio
import base64
import json
import os
import re
import signal
import time
import uuid

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

MAX_PAYLOAD = 4096  # RFC 8030 §7.2: push services must accept at least this, and may refuse more
MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024  # far beyond MAX_PAYLOAD; only there so a runaway sender cannot fill memory
URGENCIES = {"very-low", "low", "normal", "high"}
TOPIC = re.compile(r"[A-Za-z0-9_-]{1,32}\Z")
DIGITS = re.compile(r"[0-9]+\Z")
REASONS = {
    100: "Continue", 201: "Created", 200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
    410: "Gone", 413: "Payload Too Large", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    # Strict: a character outside the base64url alphabet is an error, not silently skipped.
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


# --- make -------------------------------------------------------------------------------------------

def new_keys():
    """A subscription's key material: (p256dh, auth, private), base64url."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    return b64url(public), b64url(os.urandom(16)), b64url(scalar)


def make(args) -> None:
    base = json.dumps(args.endpoint_base.rstrip("/"))[1:-1]  # JSON-escaped, without the quotes
    shared = new_keys() if args.shared_key else None
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        lines = []
        for i in range(args.count):
            p256dh, auth, private = shared or new_keys()
            # Formatted by hand rather than json.dumps: 300,000 lines in a fraction of a second.
            lines.append(f'{{"id": "s{i}", "endpoint": "{base}/push/s{i}", '
                         f'"keys": {{"p256dh": "{p256dh}", "auth": "{auth}"}}, "private": "{private}"}}\n')
            if len(lines) >= 10000:
                out.write("".join(lines))
                lines.clear()
        out.write("".join(lines))
    os.replace(tmp, args.out)


# --- checks -----------------------------------------------------------------------------------------

class CheckFailed(Exception):
    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class Verifier:
    """The checks of one push: cheap header checks on every push, the cryptography on sampled ones."""

    def __init__(self, audience):
        self.audience = audience
        self.tokens = {}  # Authorization value -> exp, for tokens whose signature and aud verified
        self.private_keys = {}  # base64url scalar -> key object (shared keys are derived once)

    @staticmethod
    def headers(headers):
        """Checks the plain headers; returns (ttl, urgency, topic), raises CheckFailed."""
        encoding = headers.get("content-encoding")
        if encoding is None or encoding.strip().lower() != "aes128gcm":
            raise CheckFailed(f"Content-Encoding {encoding!r}, expected aes128gcm")
        ttl_text = headers.get("ttl")
        if ttl_text is None:
            raise CheckFailed("no TTL header")
        ttl_text = ttl_text.strip()
        if not DIGITS.match(ttl_text):
            raise CheckFailed(f"TTL {ttl_text!r} is not an integer >= 0")
        urgency = headers.get("urgency")
        if urgency is not None and urgency.strip() not in URGENCIES:
            raise CheckFailed(f"Urgency {urgency!r} is not one of very-low, low, normal, high")
        topic = headers.get("topic")
        if topic is not None and not TOPIC.match(topic.strip()):
            raise CheckFailed(f"Topic {topic!r} is not 1-32 base64url characters")
        if "authorization" not in headers:
            raise CheckFailed("no Authorization header")
        return int(ttl_text), urgency and urgency.strip(), topic and topic.strip()

    def vapid(self, authorization, now):
        exp = self.tokens.get(authorization)
        if exp is None:
            exp = self._verify_token(authorization)
            if len(self.tokens) > 10000:  # the server signs one token per audience for hours: a few entries
                self.tokens.clear()
            self.tokens[authorization] = exp
        if not now < exp <= now + 24 * 3600 + 60:
            raise CheckFailed(f"VAPID exp {exp} is not in the future and within 24 h")

    def _verify_token(self, authorization):
        """Verifies signature, alg, aud and sub; returns exp (checked against the clock by the caller)."""
        scheme, _, rest = authorization.strip().partition(" ")
        if scheme.lower() != "vapid":
            raise CheckFailed(f"Authorization scheme {scheme!r}, expected vapid")
        params = {}
        for part in rest.split(","):
            name, eq, value = part.strip().partition("=")
            if not eq:
                raise CheckFailed(f"Authorization parameter {part.strip()!r} has no value")
            params[name.strip().lower()] = value.strip()
        if "t" not in params or "k" not in params:
            raise CheckFailed("Authorization needs t= and k=")
        try:
            head_b64, claims_b64, signature_b64 = params["t"].split(".")
            head = json.loads(unb64url(head_b64))
            claims = json.loads(unb64url(claims_b64))
            signature = unb64url(signature_b64)
            key_bytes = unb64url(params["k"])
        except ValueError as error:
            raise CheckFailed(f"malformed VAPID token: {error}") from None
        if not isinstance(head, dict) or head.get("alg") != "ES256":
            raise CheckFailed(f"JWT alg {head.get('alg') if isinstance(head, dict) else head!r}, expected ES256")
        if len(signature) != 64:
            raise CheckFailed(f"JWT signature of {len(signature)} bytes (ES256 JWS is r||s, 64 bytes)")
        if len(key_bytes) != 65 or key_bytes[0] != 4:
            raise CheckFailed("k is not an uncompressed P-256 public key (65 bytes)")
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key_bytes)
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise CheckFailed("VAPID signature does not verify with k") from None
        except ValueError as error:
            raise CheckFailed(f"bad VAPID key: {error}") from None
        if not isinstance(claims, dict):
            raise CheckFailed("JWT claims are not an object")
        if claims.get("aud") != self.audience:
            raise CheckFailed(f"VAPID aud {claims.get('aud')!r}, expected {self.audience!r}")
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise CheckFailed(f"VAPID exp {exp!r} is not a number")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub.startswith(("mailto:", "https:")):
            raise CheckFailed(f"VAPID sub {sub!r} is not a mailto: or https: URI")
        return exp

    def payload(self, body, private_b64, auth_b64):
        """Decrypts the body with the subscription's keys; returns the JSON it carries."""
        if len(body) > MAX_PAYLOAD:
            raise CheckFailed(f"body of {len(body)} bytes, over {MAX_PAYLOAD}", 413)
        # The aes128gcm header (RFC 8188 §2.1): salt(16) rs(4) idlen(1) keyid(idlen). RFC 8291 §4 makes
        # the key id the sender's ephemeral public key and the message a single record.
        if len(body) < 21 or len(body) < 21 + body[20]:
            raise CheckFailed(f"body of {len(body)} bytes is shorter than its aes128gcm header")
        idlen, rs = body[20], int.from_bytes(body[16:20], "big")
        if idlen != 65:
            raise CheckFailed(f"aes128gcm key id of {idlen} bytes, expected the 65-byte ephemeral public key")
        if rs < 18:
            raise CheckFailed(f"aes128gcm record size {rs} < 18")
        ciphertext = len(body) - 21 - idlen
        if ciphertext < 17:
            raise CheckFailed(f"aes128gcm record of {ciphertext} bytes (a tag and a delimiter take 17)")
        if ciphertext > rs:
            raise CheckFailed(f"{ciphertext} bytes of ciphertext in records of {rs}: not a single record")
        private = self.private_keys.get(private_b64)
        if private is None:
            private = ec.derive_private_key(int.from_bytes(unb64url(private_b64), "big"), ec.SECP256R1())
            if len(self.private_keys) > 10000:  # distinct keys per subscription: bound the memory
                self.private_keys.clear()
            self.private_keys[private_b64] = private
        try:
            plaintext = http_ece.decrypt(body, private_key=private, auth_secret=unb64url(auth_b64), version="aes128gcm")
        except Exception as error:  # http_ece raises ECEException, InvalidTag, ValueError...
            raise CheckFailed(f"decryption failed: {type(error).__name__}: {error}") from None
        try:
            return json.loads(plaintext.decode("utf-8"))
        except ValueError as error:
            raise CheckFailed(f"plaintext is not JSON: {error}") from None


# --- the service ------------------------------------------------------------------------------------

class Log:
    """JSON lines to a file: flushed per line, or (buffered) on a timer so logging stays cheap."""

    def __init__(self, path, buffered):
        self.file = open(path, "a", encoding="utf-8")
        self.buffered = buffered
        self.pending = []

    def write(self, record):
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        if self.buffered:
            self.pending.append(line)
        else:
            self.file.write(line)
            self.file.flush()

    def flush(self):
        if self.pending:
            self.file.write("".join(self.pending))
            self.pending.clear()
        self.file.flush()

    async def flusher(self):
        while True:
            await asyncio.sleep(0.25)
            self.flush()


class PushService:
    def __init__(self, subscriptions, behaviour, sample, log):
        self.subscriptions = subscriptions  # id -> (private, auth)
        self.behaviour = behaviour
        self.sample = sample
        self.log = log
        self.verifier = None  # set once the port (hence the default audience) is known
        self.seen = 0  # pushes to known ids, for --sample
        self.behaviour_hits = {}
        self.requests = 0
        self.by_status = {}
        self.invalid = 0
        self.accepted_ids = set()
        self.accepted = 0
        self.duplicates = 0
        self.first = None
        self.last = None

    def rule(self, sub_id):
        specific, common = self.behaviour.get(sub_id), self.behaviour.get("*")
        if specific is None or common is None:
            return specific or common
        return {**common, **specific}

    def push(self, sub_id, headers, body):
        """Decides the answer to one push: (status, extra header lines, body, delay seconds)."""
        now = time.time()
        self.requests += 1
        record = {"id": sub_id, "status": None, "ttl": None, "urgency": None, "topic": None,
                  "verified": False, "payload": None, "error": None, "t": now}
        extra, answer, delay = "", b"", 0.0
        keys = self.subscriptions.get(sub_id)
        if keys is None:
            status, record["error"] = 404, "unknown subscription"
            answer = b'{"error":"unknown subscription"}'
        else:
            self.seen += 1
            try:
                record["ttl"], record["urgency"], record["topic"] = Verifier.headers(headers)
                if self.seen % self.sample == 0:
                    self.verifier.vapid(headers["authorization"], now)
                    record["payload"] = self.verifier.payload(body, *keys)
                    record["verified"] = True
                status = 201
            except CheckFailed as error:
                status, record["error"] = error.status, str(error)
                answer = json.dumps({"error": str(error)}).encode()
                self.invalid += 1
            rule = self.rule(sub_id)
            if rule:
                delay = rule.get("delayMs", 0) / 1000
                if status == 201 and rule.get("status") is not None:
                    hits = self.behaviour_hits[sub_id] = self.behaviour_hits.get(sub_id, 0) + 1
                    if rule.get("times") is None or hits <= rule["times"]:
                        status = int(rule["status"])  # a valid push: error stays null
                        if status != 201:
                            answer = json.dumps({"error": f"behaviour {status}"}).encode()
                        if "retryAfter" in rule:
                            extra += f"Retry-After: {rule['retryAfter']}\r\n"
            if status == 201:
                extra += f"Location: /message/{uuid.uuid4()}\r\n"
                self.accepted += 1
                if self.first is None:
                    self.first = now
                self.last = now
                if sub_id in self.accepted_ids:
                    self.duplicates += 1
                else:
                    self.accepted_ids.add(sub_id)
        key = str(status)
        self.by_status[key] = self.by_status.get(key, 0) + 1
        record["status"] = status
        self.log.write(record)
        return status, extra, answer, delay

    def stats(self):
        return {"requests": self.requests, "byStatus": self.by_status, "invalid": self.invalid,
                "accepted": self.accepted, "distinctAccepted": len(self.accepted_ids),
                "duplicates": self.duplicates, "first": self.first, "last": self.last}


class BadRequest(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def parse_chunked(buf, pos):
    """A chunked body starting at pos: (body, end) or None while incomplete; raises BadRequest."""
    parts = []
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = bytes(buf[pos:eol]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadRequest(400, f"bad chunk size {size_text!r}") from None
        pos = eol + 2
        if size == 0:
            # Trailer fields, then an empty line.
            while True:
                eol = buf.find(b"\r\n", pos)
                if eol < 0:
                    return None
                if eol == pos:
                    return b"".join(parts), eol + 2
                pos = eol + 2
        if len(buf) < pos + size + 2:
            return None
        if buf[pos + size:pos + size + 2] != b"\r\n":
            raise BadRequest(400, "chunk not followed by CRLF")
        parts.append(bytes(buf[pos:pos + size]))
        if sum(map(len, parts)) > MAX_BODY:
            raise BadRequest(413, "body too large")
        pos += size + 2


class Connection(asyncio.Protocol):
    """HTTP/1.1 by hand: keep-alive, pipelined requests answered in order, Content-Length or chunked."""

    def __init__(self, service):
        self.service = service
        self.buf = bytearray()
        self.transport = None
        self.waiting = False  # a delayed answer is pending; later requests wait so answers stay in order
        self.continued = False  # 100 Continue already sent for the request being read

    def connection_made(self, transport):
        self.transport = transport

    def connection_lost(self, exc):
        self.transport = None

    def data_received(self, data):
        self.buf += data
        self.process()

    def process(self):
        while self.transport is not None and not self.waiting:
            try:
                request = self.parse()
            except BadRequest as error:
                self.respond(error.status, "", json.dumps({"error": str(error)}).encode(), close=True)
                return
            if request is None:
                if len(self.buf) > MAX_HEAD + MAX_BODY:
                    self.respond(413, "", b'{"error":"request too large"}', close=True)
                return
            self.handle(*request)

    def parse(self):
        while self.buf.startswith(b"\r\n"):  # tolerate stray CRLFs between requests (RFC 9112 §2.2)
            del self.buf[:2]
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > MAX_HEAD:
                raise BadRequest(431, "header too large")
            return None
        lines = self.buf[:end].decode("latin-1").split("\r\n")
        try:
            method, target, version = lines[0].split(" ")
        except ValueError:
            raise BadRequest(400, f"bad request line {lines[0][:100]!r}") from None
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon or not name or name != name.strip():
                raise BadRequest(400, f"bad header line {line[:100]!r}")
            name = name.lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        body_start = end + 4
        if "transfer-encoding" in headers:
            if headers["transfer-encoding"].lower().rsplit(",", 1)[-1].strip() != "chunked":
                raise BadRequest(501, f"Transfer-Encoding {headers['transfer-encoding']!r}")
            self.maybe_continue(headers)
            parsed = parse_chunked(self.buf, body_start)
            if parsed is None:
                return None
            body, body_end = parsed
        else:
            length_text = headers.get("content-length", "0")
            if not DIGITS.match(length_text):
                raise BadRequest(400, f"bad Content-Length {length_text!r}")
            length = int(length_text)
            if length > MAX_BODY:
                raise BadRequest(413, "body too large")
            body_end = body_start + length
            if len(self.buf) < body_end:
                self.maybe_continue(headers)
                return None
            body = bytes(self.buf[body_start:body_end])
        del self.buf[:body_end]
        self.continued = False
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        return method, target, headers, body, keep_alive

    def maybe_continue(self, headers):
        if not self.continued and headers.get("expect", "").lower() == "100-continue":
            self.continued = True
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def handle(self, method, target, headers, body, keep_alive):
        path = target.split("?", 1)[0]
        if path.startswith("/push/"):
            if method != "POST":
                self.respond(405, "Allow: POST\r\n", b'{"error":"POST only"}', not keep_alive)
                return
            status, extra, answer, delay = self.service.push(path[len("/push/"):], headers, body)
            if delay > 0:
                self.waiting = True
                asyncio.get_running_loop().call_later(delay, self.finish_delayed, status, extra, answer, not keep_alive)
            else:
                self.respond(status, extra, answer, not keep_alive)
        elif path == "/stats" and method == "GET":
            self.respond(200, "", json.dumps(self.service.stats()).encode(), not keep_alive)
        else:
            self.respond(404, "", b'{"error":"not found"}', not keep_alive)

    def finish_delayed(self, status, extra, answer, close):
        self.waiting = False
        self.respond(status, extra, answer, close)
        self.process()  # requests that arrived meanwhile

    def respond(self, status, extra, body, close=False):
        if self.transport is None or self.transport.is_closing():
            return  # the sender went away (or was killed) before its answer
        head = f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\nContent-Length: {len(body)}\r\n{extra}"
        if body:
            head += "Content-Type: application/json\r\n"
        if close:
            head += "Connection: close\r\n"
        self.transport.write((head + "\r\n").encode("latin-1") + body)
        if close:
            self.transport.close()
            self.transport = None


def load_subscriptions(path):
    subscriptions = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                sub = json.loads(line)
                subscriptions[sub["id"]] = (sub["private"], sub["keys"]["auth"])
    return subscriptions


async def serve(args) -> None:
    loop = asyncio.get_running_loop()
    behaviour = {}
    if args.behaviour:
        with open(args.behaviour, encoding="utf-8") as file:
            behaviour = json.load(file)
    log = Log(args.log, buffered=args.sample > 1)
    service = PushService(load_subscriptions(args.subscriptions), behaviour, args.sample, log)
    server = await loop.create_server(lambda: Connection(service), "127.0.0.1", args.port, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    service.verifier = Verifier(args.audience or f"http://127.0.0.1:{port}")

    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    # Senders that reset their connections (or are killed) are expected here, not worth a traceback.
    def exception_handler(loop, context):
        if not isinstance(context.get("exception"), (ConnectionResetError, BrokenPipeError)):
            loop.default_exception_handler(context)
    loop.set_exception_handler(exception_handler)

    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as file:
        file.write(f"{port}\n")
    os.replace(tmp, args.port_file)
    print(f"listening {port} ({len(service.subscriptions)} subscriptions)", flush=True)
    flusher = loop.create_task(log.flusher()) if log.buffered else None
    await stop.wait()
    server.close()
    if flusher:
        flusher.cancel()
    log.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description="A local Web Push service (RFC 8030) for the tests.")
    commands = parser.add_subparsers(dest="command", required=True)
    make_parser = commands.add_parser("make", help="write subscriptions as JSON lines")
    make_parser.add_argument("--count", type=int, required=True)
    make_parser.add_argument("--endpoint-base", required=True, help="e.g. http://127.0.0.1:PORT")
    make_parser.add_argument("--out", required=True)
    make_parser.add_argument("--shared-key", action="store_true", help="one key pair and auth secret for all")
    serve_parser = commands.add_parser("serve", help="run the push service")
    serve_parser.add_argument("--subscriptions", required=True)
    serve_parser.add_argument("--port-file", required=True)
    serve_parser.add_argument("--log", required=True)
    serve_parser.add_argument("--port", type=int, default=0)
    serve_parser.add_argument("--behaviour")
    serve_parser.add_argument("--sample", type=int, default=1, help="verify every K-th push (default 1: all)")
    serve_parser.add_argument("--audience", help="the VAPID aud to expect (default http://127.0.0.1:PORT)")
    args = parser.parse_args()
    if args.command == "make":
        make(args)
    else:
        if args.sample < 1:
            parser.error("--sample must be >= 1")
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
