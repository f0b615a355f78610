"""Request size limits (docs/api.md §5): no account can make the server hold, or the audit
trail keep, an unbounded request. Bodies over MAX_BODY_BYTES are refused (413) before any
route reads them; GraphQL variables and Cypher parameters over MAX_VARIABLES_BYTES of JSON
are refused by their routes; and what the audit keeps of a request is bounded by
`audit.bounded` (large values kept as their SHA-256 and length)."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1 << 20
"""A request body: 1 MiB, far above any query (20,000 characters) with its variables."""
MAX_VARIABLES_BYTES = 64 << 10
"""GraphQL variables or Cypher parameters, as JSON: 64 KiB."""
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def json_size(value: Any) -> int:
    """Bytes of `value` as compact JSON (what a client sent is JSON, so it always encodes)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode())


class BodyLimit:
    """Refuse a body over `limit` bytes with 413, whether its length is declared or it is
    streamed in chunks; a body within the limit is read once and handed on unchanged."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _WITH_BODY:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"detail": f"the request body is over MAST's limit of {self.limit:,} bytes"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
