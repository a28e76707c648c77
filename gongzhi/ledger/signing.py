"""The installation's Ed25519 key for checkpoints (cryptography's Ed25519, never hand-rolled).

The private key comes from ``settings.LEDGER_SIGNING_KEY`` (64 hex digits: the 32-byte seed) or, when that is
empty, from the file ``settings.LEDGER_SIGNING_KEY_FILE``, which is created with a fresh random key on first use
(the demo and a single-box install). Verification trusts the signing key's public half and the older public keys
listed in ``settings.LEDGER_TRUSTED_KEYS`` (after a rotation); a checkpoint signed by any other key is forged,
whatever key the row itself names. Publish the public key (the public ledger page shows it) so owners can check
it independently of this server.
"""

import os
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _load_seed() -> bytes:
    configured = (getattr(settings, "LEDGER_SIGNING_KEY", "") or "").strip()
    if configured:
        try:
            seed = bytes.fromhex(configured)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise ImproperlyConfigured("LEDGER_SIGNING_KEY must be 64 hexadecimal digits (a 32-byte Ed25519 seed)")
        return seed
    path = Path(settings.LEDGER_SIGNING_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        seed = os.urandom(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(seed.hex())
    seed = bytes.fromhex(path.read_text().strip())
    if len(seed) != 32:
        raise ImproperlyConfigured(f"{path} must hold 64 hexadecimal digits (a 32-byte Ed25519 seed)")
    return seed


@cache
def _private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(_load_seed())


def public_key_hex() -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return _private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def trusted_keys() -> frozenset[str]:
    extra = getattr(settings, "LEDGER_TRUSTED_KEYS", ()) or ()
    return frozenset({public_key_hex(), *(k.strip().lower() for k in extra if k.strip())})


def sign(message: bytes) -> str:
    return _private_key().sign(message).hex()


def signature_valid(public_key: str, message: bytes, signature: str) -> bool:
    """True when ``signature`` is ``public_key``'s signature of ``message`` AND the key is one we trust."""
    if public_key.lower() not in trusted_keys():
        return False
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key)).verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def reset_cache() -> None:
    """For tests that change the key settings."""
    _private_key.cache_clear()
