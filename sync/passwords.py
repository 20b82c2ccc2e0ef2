"""Salted slow password hashes (scrypt), shared by the hall's staff PINs and the office's accounts.

Stored as "scrypt$n$r$p$salthex$hashhex"; the parameters travel with the hash, so a later cost
change still verifies old hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

# ~50 ms on a hall PC: slow enough that a stolen database does not give up short secrets at once.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str) -> bool:
    """True if `secret` matches the stored hash; False for any malformed stored value."""
    try:
        scheme, n, r, p, salt_hex, hash_hex = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(hash_hex)
        digest = hashlib.scrypt(secret.encode("utf-8"), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected), maxmem=128 * int(r) * int(n) * 2 + 1024**2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)
