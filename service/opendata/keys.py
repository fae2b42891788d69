"""Key secrets: made once, shown once, kept only as a SHA-256 digest.

A secret carries 256 random bits, so a plain SHA-256 is enough to keep it (a slow password
hash guards low-entropy secrets; this one cannot be guessed), and it lets a request find its
key by an indexed equality."""

import hashlib
import secrets

SECRET_PREFIX = "jb_"
SHOWN_PREFIX = 10  # characters of the secret kept in the clear to tell keys apart


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def shown_prefix(secret: str) -> str:
    return secret[:SHOWN_PREFIX]
