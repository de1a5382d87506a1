"""A software authenticator for the API tests: real P-256 keys and real ECDSA signatures, the
bytes laid out as WebAuthn says (authenticator data, a "none" attestation in CBOR, a COSE
key), so the app's verification (py_webauthn) runs on genuine credentials, never a mock. The
browser tests use Chromium's own virtual authenticator instead.

The client's side is played too: clientDataJSON carries the challenge of the options the app
gave and the origin the test says (the browser would put its own page's origin there).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Stored:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0


@dataclass
class SoftAuthenticator:
    """Holds discoverable credentials; counts signatures (counting=False: stays at 0, as
    synced passkeys do); verifies the user unless told not to."""

    counting: bool = True
    user_verified: bool = True
    credentials: list[Stored] = field(default_factory=list)

    def create(self, options: dict, origin: str) -> dict:
        """navigator.credentials.create(): a new credential for options (the app's JSON)."""
        rp_id = options["rp"]["id"]
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )
        credential_id = secrets.token_bytes(32)
        stored = Stored(credential_id, key, rp_id, unb64(options["user"]["id"]))
        self.credentials.append(stored)
        flags = UP | AT | (UV if self.user_verified else 0)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", 0)
            + bytes(16)  # AAGUID: none
            + struct.pack(">H", len(credential_id))
            + credential_id
            + cose
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = client_data_json("webauthn.create", options["challenge"], origin)
        return {
            "id": b64(credential_id),
            "rawId": b64(credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "attestationObject": b64(attestation),
                "transports": ["internal"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }

    def get(self, options: dict, origin: str, *, credential: Stored | None = None) -> dict:
        """navigator.credentials.get(): an assertion by credential (default: the newest one
        for the RP id, within allowCredentials when the options name any)."""
        rp_id = options["rpId"]
        allowed = {unb64(c["id"]) for c in options.get("allowCredentials", [])}
        if credential is None:
            candidates = [
                c for c in self.credentials if c.rp_id == rp_id and (not allowed or c.credential_id in allowed)
            ]
            credential = candidates[-1]
        if self.counting:
            credential.sign_count += 1
        return self.assertion(credential, options["challenge"], origin, rp_id=rp_id)

    def assertion(
        self,
        credential: Stored,
        challenge: str,
        origin: str,
        *,
        rp_id: str | None = None,
        sign_count: int | None = None,
        user_handle: bytes | None = None,
    ) -> dict:
        """An assertion with what the test chooses (a counter, another handle...), signed."""
        flags = UP | (UV if self.user_verified else 0)
        count = credential.sign_count if sign_count is None else sign_count
        auth_data = hashlib.sha256((rp_id or credential.rp_id).encode()).digest() + bytes([flags])
        auth_data += struct.pack(">I", count)
        client_data = client_data_json("webauthn.get", challenge, origin)
        signature = credential.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64(credential.credential_id),
            "rawId": b64(credential.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data),
                "authenticatorData": b64(auth_data),
                "signature": b64(signature),
                "userHandle": b64(user_handle if user_handle is not None else credential.user_handle),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        }


def client_data_json(kind: str, challenge: str, origin: str) -> bytes:
    return json.dumps(
        {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}, separators=(",", ":")
    ).encode()
