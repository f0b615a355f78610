"""Cross-site request forgery: two checks, because SameSite=Lax alone leaves gaps (a sibling
site, an older browser, a top-level POST the browser still sends the cookie with).

1. Origin: a state-changing request that says where it came from (`Origin`, else
   `Referer`) must come from this site. Browsers send `Origin` on every POST; a client
   that sends neither is not a browser, and a forged request needs a browser.
2. A per-session token: every form of the web UI carries it (`csrf`) and htmx sends it as
   `X-CSRF-Token`; the routes the forms post to refuse a request without the session's own.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response

FIELD = "csrf"
HEADER = "X-CSRF-Token"
_SESSION_KEY = "csrf"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
REFUSED = "refused: the request did not come from a MAST page (reload the page and try again)"


def token(request: Request) -> str:
    """The session's token, made on first use (the sign-in page makes it for a new visitor)."""
    found = request.session.get(_SESSION_KEY)
    if not isinstance(found, str):
        found = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = found
    return found


def same_origin(request: Request) -> bool:
    """Whether the request says it came from this site, or says nothing (not a browser).
    Compared by host and port with the Host header, or the X-Forwarded-Host a reverse proxy
    sets (a cross-site form cannot send that header): behind a TLS proxy the scheme the app
    sees may differ from the browser's."""
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None:
        return True
    if claimed == "null":  # an opaque origin: a sandboxed frame, a data: URL, a file
        return False
    netloc = urlsplit(claimed).netloc.lower()
    ours = {request.headers.get("host", "").lower()}
    ours |= {h.strip().lower() for h in request.headers.get("x-forwarded-host", "").split(",")}
    return bool(netloc) and netloc in ours - {""}


async def form_token(request: Request) -> None:
    """Dependency of every route a web form posts to: the session's token, from the form
    field or the htmx header, or 403."""
    expected = request.session.get(_SESSION_KEY)
    given = request.headers.get(HEADER)
    if given is None:
        form = await request.form()  # Starlette keeps it: the route's Form() reads it again
        value = form.get(FIELD)
        given = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and given and secrets.compare_digest(expected, given)):
        raise HTTPException(403, REFUSED)


def install(app: FastAPI) -> None:
    """Refuse a state-changing request that came from another site, before any route."""

    @app.middleware("http")
    async def origin_check(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # A bearer token is not sent by the browser on its own, so cannot be forged with.
        bearer = "authorization" in request.headers
        if request.method not in _SAFE and not bearer and not same_origin(request):
            return JSONResponse({"detail": REFUSED}, status_code=403)
        return await call_next(request)
