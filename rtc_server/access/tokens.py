"""Who may enter a room: join tokens (HS256 JWTs minted here), the admin secret, the mode.

A join token names one room and expires. It is signed with a key derived from the admin
secret, so the secret itself never signs anything a client holds. In open mode (a server on
loopback, or RTC_AUTH=open) a missing token is fine, but a token that is given is still checked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
from aiohttp import web

from rtc_server.settings import Settings

ALGORITHM = "HS256"
LEEWAY_S = 5  # clock skew tolerated on `exp` and `iat`
_REQUIRED_CLAIMS = ["room", "exp", "iat", "jti"]


def signing_key(admin_secret: str) -> bytes:
    return hmac.new(admin_secret.encode(), b"rtc_server join token", hashlib.sha256).digest()


class AccessDenied(Exception):
    """A refused token or secret; `code` is stable, `message` is safe to show (no secrets)."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def http(self) -> web.HTTPException:
        body = json.dumps({"error": self.message, "code": self.code})
        error = web.HTTPForbidden if self.status == 403 else web.HTTPUnauthorized
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return error(text=body, content_type="application/json", headers=headers)


@dataclass(frozen=True)
class JoinToken:
    room: str
    token: str
    expires_at: int  # Unix seconds
    label: str | None


class Access:
    def __init__(self, settings: Settings) -> None:
        self.mode = settings.auth_mode
        secret = settings.admin_secret.get_secret_value() if settings.admin_secret else None
        self._admin = secret.encode() if secret else None
        # Without a secret no token can be minted; a random key makes every offered one invalid.
        self._key = signing_key(secret) if secret else secrets.token_bytes(32)

    @property
    def can_mint(self) -> bool:
        return self._admin is not None

    def mint(self, room: str, ttl_s: int, label: str | None = None) -> JoinToken:
        now = int(time.time())
        claims: dict[str, Any] = {
            "room": room,
            "iat": now,
            "exp": now + ttl_s,
            "jti": secrets.token_urlsafe(12),
        }
        if label:
            claims["label"] = label
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        return JoinToken(room, token, now + ttl_s, label)

    def verify(self, token: str, room: str | None = None) -> str:
        """The token's room, after checking signature, expiry and (if given) the room."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                leeway=LEEWAY_S,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise AccessDenied(
                "token_expired", "the invite link has expired; ask for a new one", 401
            ) from None
        except jwt.InvalidTokenError:
            raise AccessDenied(
                "token_invalid",
                "the join token is not valid (damaged or not from this server)",
                401,
            ) from None
        token_room = claims["room"]
        if not isinstance(token_room, str):
            raise AccessDenied("token_invalid", "the join token names no room", 401)
        if room is not None and token_room != room:
            raise AccessDenied(
                "token_wrong_room", f"this join token is for another room, not {room!r}", 403
            )
        return token_room

    def admit(self, token: str | None, room: str | None = None) -> str | None:
        """The room `token` grants (it must be `room`, when given); None for a client that
        sent no token to an open server. Raises AccessDenied otherwise."""
        if token is not None:
            return self.verify(token, room)
        if self.mode == "token":
            raise AccessDenied(
                "token_required", "this room needs an invite link (a join token)", 401
            )
        return None

    def check_admin(self, request: web.Request) -> None:
        if self._admin is None:
            raise AccessDenied(
                "admin_disabled", "creating rooms is off: the server has no RTC_ADMIN_SECRET", 403
            )
        offered = bearer(request)
        if offered is None:
            raise AccessDenied(
                "admin_secret_required", "send Authorization: Bearer <admin secret>", 401
            )
        if not hmac.compare_digest(offered.encode(), self._admin):
            raise AccessDenied("admin_secret_invalid", "the admin secret is wrong", 403)


ACCESS = web.AppKey("access", Access)


def bearer(request: web.Request) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


def require_room_access(request: web.Request, room: str | None = None) -> str | None:
    """For HTTP handlers: the room the request's bearer token grants (None: open mode, no
    token). With `room`, the token must be for that room. Refusals raise 401/403 JSON."""
    try:
        return request.app[ACCESS].admit(bearer(request), room)
    except AccessDenied as denied:
        raise denied.http() from None
