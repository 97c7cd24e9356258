#!/usr/bin/env python3
"""The other end of a Web Push message, with independent code: http_ece (RFC 8188/8291) decrypts,
cryptography verifies the VAPID token (RFC 8292).

  webpush_check.py keys
      a new subscription: {"p256dh", "auth", "private"} (base64url; private is PEM, base64url-wrapped)
  webpush_check.py check PRIVATE AUTH BODY_FILE AUTHORIZATION AUDIENCE
      decrypts BODY_FILE with the subscription's private key and auth secret, verifies the
      `vapid t=…, k=…` header for AUDIENCE, prints {"plaintext", "claims", "vapidKey"}; exits 1 on any failure.
"""
import base64
import json
import sys
import time

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def keys() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    auth = bytes(range(16)) if "--fixed-auth" in sys.argv else __import__("os").urandom(16)
    print(json.dumps({"p256dh": b64url(public), "auth": b64url(auth), "private": b64url(pem)}))


def verify_vapid(header: str, audience: str) -> tuple[dict, str]:
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"scheme {scheme!r}, not vapid")
    params = dict(part.strip().split("=", 1) for part in rest.split(","))
    token, key = params["t"], params["k"]
    head_b64, claims_b64, signature_b64 = token.split(".")
    head = json.loads(unb64url(head_b64))
    if head.get("alg") != "ES256":
        raise ValueError(f"alg {head.get('alg')!r}")
    signature = unb64url(signature_b64)
    if len(signature) != 64:
        raise ValueError(f"signature of {len(signature)} bytes (ES256 JWS is r||s, 64)")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims = json.loads(unb64url(claims_b64))
    if claims.get("aud") != audience:
        raise ValueError(f"aud {claims.get('aud')!r}, expected {audience!r}")
    now = time.time()
    if not (now < claims["exp"] <= now + 24 * 3600 + 60):
        raise ValueError(f"exp {claims['exp']} not within 24 h from now")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError(f"sub {claims.get('sub')!r}")
    return claims, key


def check(private_b64: str, auth_b64: str, body_file: str, authorization: str, audience: str) -> None:
    private = serialization.load_pem_private_key(unb64url(private_b64), password=None)
    body = open(body_file, "rb").read()
    if len(body) > 4096:
        raise ValueError(f"body of {len(body)} bytes: push services take 4096")
    plaintext = http_ece.decrypt(body, private_key=private, auth_secret=unb64url(auth_b64), version="aes128gcm")
    claims, key = verify_vapid(authorization, audience)
    print(json.dumps({"plaintext": plaintext.decode("utf-8"), "claims": claims, "vapidKey": key, "bodyBytes": len(body)}, ensure_ascii=False))


if __name__ == "__main__":
    try:
        if sys.argv[1] == "keys":
            keys()
        elif sys.argv[1] == "check":
            check(*sys.argv[2:7])
        else:
            raise SystemExit(__doc__)
    except (ValueError, KeyError, InvalidSignature) as error:
        print(f"webpush_check: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
