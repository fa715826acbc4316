"""API clients authenticate a socket with a DRF token: the header
``Authorization: Token <key>``; from browser JavaScript, which cannot set
headers on a WebSocket, the subprotocols ``["token", "<key>"]``
(``new WebSocket(url, ["token", key])``: the server chooses "token"); or
``?token=<key>`` (last resort: a query string ends up in access logs).
Browsers logged in with a session use its cookie through
AuthMiddlewareStack. An unknown token leaves the socket anonymous."""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from accounts.authentication import token_and_user  # the HTTP API's lookup


@database_sync_to_async
def _user_for_token(key: str):
    found = token_and_user(key)
    return found[1] if found and found[1].is_active else None


TOKEN_SUBPROTOCOL = "token"


def _token(scope) -> str:
    subprotocols = scope.get("subprotocols") or []
    if len(subprotocols) >= 2 and subprotocols[0] == TOKEN_SUBPROTOCOL:
        return subprotocols[1]
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, key = value.decode("latin-1").partition(" ")
            if scheme.lower() == "token" and key.strip():
                return key.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (query.get("token") or [""])[0]


class TokenAuthMiddleware:
    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = _token(scope)
        if key:
            user = await _user_for_token(key)
            if user is not None:
                scope = {**scope, "user": user}
        return await self.inner(scope, receive, send)
