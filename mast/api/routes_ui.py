"""The web UI: server-rendered pages (Jinja2 + htmx) for practitioners and investigators.

Pages read through the same GraphQL schema, access rules and audit as partner apps
(`routes_graphql.execute`): a page shows only what its user's role may see, and every
page that shows personal data has its audit entry committed before it is sent.
"""

from __future__ import annotations

import asyncio
import math
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mast.accounts.access import OPERATIONS, PURPOSE_RULE, allowed, purpose_of
from mast.accounts.accounts import Accounts, Credential
from mast.api import csrf
from mast.api.auth import Caller, services_of
from mast.api.recording import change
from mast.api.routes_auth import sign_in, sign_out
from mast.core import clock
from mast.core.csv_safe import FORMULA_START
from mast.core.errors import AccessError

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.add_extension("jinja2.ext.i18n")
# Every interface string goes through gettext (`{{ _("…") }}`, `{% trans %}`) so the Welsh
# catalogue can cover it; until a locale is chosen per request the English text is shown.
templates.env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
router = APIRouter(include_in_schema=False)


# --- filters --------------------------------------------------------------------------------


def _day(value: Any) -> str:
    if not value:
        return "?"
    return date.fromisoformat(str(value)[:10]).strftime("%-d %b %Y")


def _moment(value: Any) -> str:
    moment = datetime.fromisoformat(str(value))
    return moment.strftime("%-d %b %Y %H:%M") if moment.time() else moment.strftime("%-d %b %Y")


def _age(value: Any) -> int:
    born, today = date.fromisoformat(str(value)[:10]), clock.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _confidence(weight: Any) -> str:
    """A Splink match weight as a probability; rulings and partner ids carry none."""
    if weight is None:
        return "ruled"
    chance = 1 / (1 + 2 ** -min(float(weight), 60))
    return f"{math.floor(chance * 1000) / 10:g}%"


templates.env.filters.update(day=_day, moment=_moment, age=_age, confidence=_confidence)
# CSVs built in the browser (the network explorer) escape cells by the server's own rule.
templates.env.globals["csv_formula_start"] = list(FORMULA_START)


# --- who is looking ---------------------------------------------------------------------------


class SignIn(Exception):
    """Send the browser to the sign-in page (or the purpose prompt)."""

    def __init__(self, to: str) -> None:
        self.to = to


async def _session(request: Request) -> Credential:
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        raise SignIn("/login")
    try:
        return await asyncio.to_thread(services_of(request).accounts.check, sid, kind="session")
    except AccessError as e:
        raise SignIn("/login") from e


async def viewer(request: Request) -> Caller:
    """The signed-in user with the session's purpose; otherwise to sign-in or the prompt."""
    credential = await _session(request)
    if not credential.purpose:
        raise SignIn("/purpose")
    return Caller(credential.user, credential.purpose, credential)


def page(
    request: Request, template: str, who: Caller | None = None, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": who.user if who else None,
            "purpose": who.purpose if who else None,
            "can": {op: allowed(who.user.role, op) for op in OPERATIONS} if who else {},
            "csrf": csrf.token(request),
            **context,
        },
    )


def missing(request: Request, who: Caller) -> HTMLResponse:
    response = page(
        request, "error.html", who, title="Not found", message="There is nothing here you can see."
    )
    response.status_code = 404
    return response


# --- sign-in and purpose ----------------------------------------------------------------------


@router.get("/login")
async def login_page(request: Request) -> HTMLResponse:
    oidc = bool(services_of(request).settings.oidc_issuer)
    return page(request, "login.html", oidc=oidc)


@router.post("/login", dependencies=[Depends(csrf.form_token)])
async def login_form(
    request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()]
) -> Response:
    try:
        await sign_in(request, username[:64], password[:1024], None)
    except HTTPException as e:
        response = page(request, "login.html", error=e.detail)
        response.status_code = e.status_code
        return response
    return RedirectResponse("/purpose", status_code=303)


@router.post("/logout", dependencies=[Depends(csrf.form_token)])
async def logout_form(request: Request) -> RedirectResponse:
    await sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/purpose")
async def purpose_page(request: Request) -> HTMLResponse:
    credential = await _session(request)
    who = Caller(credential.user, credential.purpose or "", credential)
    return page(request, "purpose.html", who)


@router.post("/purpose", dependencies=[Depends(csrf.form_token)])
async def purpose_form(request: Request, purpose: Annotated[str, Form()]) -> Response:
    credential = await _session(request)
    try:
        stated = purpose_of(purpose)
    except ValueError:
        who = Caller(credential.user, "", credential)
        response = page(request, "purpose.html", who, error=f"Give {PURPOSE_RULE}.")
        response.status_code = 400
        return response
    services = services_of(request)
    await change(  # the purpose and its audit entry commit together
        services,
        credential.user,
        "purpose",
        lambda engine: Accounts(engine, services.settings).set_purpose(
            credential.credential_id, stated
        ),
        lambda _: {},
        purpose=stated,
    )
    return RedirectResponse("/search", status_code=303)


# --- landing -------------------------------------------------------------------------------


@router.get("/")
async def home(request: Request) -> RedirectResponse:
    """Each role's first page: search, or the page of the work it does."""
    credential = await _session(request)
    role = credential.user.role
    first = next(
        (
            to
            for op, to in (
                ("search", "/search"),
                ("audit", "/audit-trail"),
                ("quality", "/quality"),
            )
            if allowed(role, op)
        ),
        "/search",
    )
    return RedirectResponse(first, status_code=303)


# --- a person ---------------------------------------------------------------------


def date_or_none(text: str) -> date | None:
    """A date field of a form: empty (no limit), or a date; anything else is no limit too."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
