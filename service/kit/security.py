"""Password hashing (argon2) and signed tokens (JWT, HS256): short access tokens, longer
refresh tokens, both tied to the user's token version so the server can revoke them."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from service.config import get_settings

_hasher = PasswordHasher()
# Verified against when the username is unknown, so that answer costs what a wrong password
# costs (no timing hint about which usernames exist). A constant made with the hasher's own
# parameters (tests/service/kit/test_security.py checks they still match), not hashed at
# import: an argon2 hash is ~0.2 s of CPU on every worker's start.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$niKp2z4M92EZwnjPDsvp1w$"
    "fRDllzJS2n+YPXHnTCTH4oR2+AFQ4Ut/KwyKNwEauUo"
)

TokenKind = Literal["access", "refresh"]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work: a missing hash (unknown user) is verified against a dummy and fails."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    version: int


def _lifetime(kind: TokenKind) -> int:
    settings = get_settings()
    if kind == "access":
        return settings.token_expire_minutes * 60
    return settings.refresh_token_expire_hours * 3600


def create_token(user_id: int, version: int = 0, kind: TokenKind = "access") -> tuple[str, int]:
    """A signed token of `kind` for `user_id` at token `version`, and its lifetime in seconds."""
    lifetime = _lifetime(kind)
    now = datetime.now(UTC)
    claims = {
        "sub": str(user_id),
        "ver": version,
        "typ": kind,
        "iat": now,
        "exp": now + timedelta(seconds=lifetime),
    }
    return jwt.encode(claims, get_settings().resolved_secret_key(), algorithm="HS256"), lifetime


def create_access_token(user_id: int, version: int = 0) -> tuple[str, int]:
    return create_token(user_id, version, "access")


def decode_token(token: str, kind: TokenKind = "access") -> TokenClaims | None:
    """The claims of a valid, unexpired token of `kind`; None for anything else, including a
    token without `exp` (it would never expire) or a refresh token offered as an access token."""
    try:
        claims = jwt.decode(
            token,
            get_settings().resolved_secret_key(),
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "sub", "ver", "typ"]},
        )
        if claims["typ"] != kind:
            return None
        return TokenClaims(int(claims["sub"]), int(claims["ver"]))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        return None


class LinkError(Exception):
    """A signed link that cannot be used: `expired` or not ours / altered."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def sign_link(purpose: str, subject: int, claims: dict[str, Any], lifetime: timedelta) -> str:
    """A signed, expiring token for a link sent by e-mail (e.g. 退订): it acts for `subject`
    without a session, for `purpose` only."""
    now = datetime.now(UTC)
    payload = {**claims, "sub": str(subject), "typ": purpose, "iat": now, "exp": now + lifetime}
    return jwt.encode(payload, get_settings().resolved_secret_key(), algorithm="HS256")


def read_link(token: str, purpose: str) -> tuple[int, dict[str, Any]]:
    """(subject, claims) of a valid link token of `purpose`; LinkError otherwise."""
    try:
        claims = jwt.decode(
            token,
            get_settings().resolved_secret_key(),
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "sub", "typ"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise LinkError(expired=True) from exc
    except jwt.PyJWTError as exc:
        raise LinkError(expired=False) from exc
    if claims.get("typ") != purpose:
        raise LinkError(expired=False)
    try:
        return int(claims["sub"]), claims
    except (KeyError, ValueError, TypeError) as exc:
        raise LinkError(expired=False) from exc
