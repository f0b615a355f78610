"""Branded error pages for people in a browser: not found (which is also what a page the
user may not see looks like), a refused form, and the server's own failure, in the
request's language. API clients (GraphQL, JSON, curl) keep their JSON answers: a page is
given only to a request that asks for HTML."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from mast.api import csrf
from mast.api.auth import Caller
from mast.text import i18n
from mast.text.i18n import gettext as _
from mast.web.routes import SignIn, page, remember_page, viewer

log = logging.getLogger(__name__)
_API = ("/graphql", "/auth/", "/reports", "/audit/", "/cypher", "/health", "/metrics")


def wants_page(request: Request) -> bool:
    """A browser's page view: it accepts HTML, and the address is not one of the API's."""
    path = request.url.path
    api = path.startswith(_API) or path in ("/audit", "/reports")
    return "text/html" in request.headers.get("accept", "") and not api


async def _signed_in(request: Request) -> Caller | None:
    """Who is looking, for the header's menu; nobody if not signed in."""
    try:
        return await viewer(request)
    except SignIn:
        return None


def error_page(
    request: Request, status: int, title: str, message: str, who: Caller | None = None
) -> HTMLResponse:
    response = page(request, "error.html", who, title=title, message=message, status=status)
    response.status_code = status
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(SignIn)
    async def to_sign_in(request: Request, exc: SignIn) -> RedirectResponse:
        remember_page(request)  # the deep link survives sign-in
        return RedirectResponse(exc.to, status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not wants_page(request) or exc.status_code not in (403, 404, 405):
            return await http_exception_handler(request, exc)
        if exc.status_code == 403 and exc.detail == csrf.REFUSED:
            return error_page(
                request,
                403,
                _("Not sent"),
                _(
                    "The form had expired or did not come from a MAST page. Go back, reload "
                    "the page and try again."
                ),
            )
        # Forbidden looks like not found: a page's existence is itself information.
        return error_page(
            request,
            404,
            _("Page not found"),
            _("There is nothing at this web address that you can see."),
            await _signed_in(request) if "session" in request.scope else None,
        )

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        # A page's address or form lacking what it needs (a link cut short, a form sent
        # half-filled): a page saying so, not the framework's JSON.
        if not wants_page(request):
            return await request_validation_exception_handler(request, exc)
        return error_page(
            request,
            400,
            _("Not understood"),
            _(
                "This web address or form is missing something it needs. Go back to the page "
                "you came from and try again."
            ),
            await _signed_in(request) if "session" in request.scope else None,
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # Runs outside the other middleware: choose the language again. The exception's
        # text may quote data, so only its type is logged here (Starlette logs the rest
        # only where it is configured to).
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        i18n.use(request)
        if not wants_page(request):
            return Response("Internal Server Error", status_code=500, media_type="text/plain")
        return error_page(
            request,
            500,
            _("Something went wrong"),
            _(
                "MAST could not show this page. Try again in a minute; if it keeps "
                "happening, tell your MAST administrator."
            ),
        )
