"""Welsh and English: which language each request is answered in, its translations, and
dates in UK form in both.

The language is `?lang=cy|en` (then remembered in a cookie), else that cookie, else the
browser's Accept-Language; British English by default. It is held per request in a context
variable, not switched globally: requests run concurrently, each in its own task, and
`asyncio.to_thread` carries the variable into worker threads.

The catalogues are the .po files themselves, read with Babel as the app is made
(`create_app`) and compiled in memory. No compiled .mo is kept in the tree: branches append
entries to the .po side by side (it merges by union), so a build step would be one more
thing to fall out of step, and reading a few hundred entries takes milliseconds. The first
of two entries for one msgid wins; tests/integration/web/test_i18n.py refuses two that disagree.
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from datetime import date, datetime, time
from functools import cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names, get_month_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection

LOCALE_DIR: Final = Path(__file__).resolve().parent.parent / "locale"
ENGLISH: Final = "en-GB"
WELSH: Final = "cy"
LANGUAGES: Final = (ENGLISH, WELSH)  # as <html lang> writes them
COOKIE: Final = "mast_lang"
_CHOICES: Final = {"en": ENGLISH, "en-gb": ENGLISH, "cy": WELSH}  # what ?lang= accepts
_BABEL: Final = {ENGLISH: "en_GB", WELSH: "cy"}
_UK: Final = ZoneInfo("Europe/London")
_YEAR: Final = 365 * 24 * 3600

_current: ContextVar[str] = ContextVar("mast_language", default=ENGLISH)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# --- catalogues -------------------------------------------------------------------------------


@cache
def catalogue(language: str) -> NullTranslations:
    """The translations of one language, read from its .po (English is the msgids)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == ENGLISH or not po.exists():
        return NullTranslations()
    with po.open("rb") as f:
        read = read_po(f, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, read)  # untranslated and fuzzy entries are left out: English shows
    compiled.seek(0)
    return Translations(compiled)


def language() -> str:
    """The current request's language, as `<html lang>` writes it."""
    return _current.get()


def gettext(message: str) -> str:
    return catalogue(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:  # gettext's name for "translate later"
    """Mark a string for the catalogue where it is defined; it is translated where shown."""
    return message


# --- choosing ---------------------------------------------------------------------------------


def chosen(value: str | None) -> str | None:
    """A `?lang=` value as a language we have, or None."""
    return _CHOICES.get((value or "").strip().lower())


def from_accept_language(header: str) -> str | None:
    """The first language we have among those the browser asks for, by their q-values."""
    asked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        if q > 0:
            asked.append((-q, i, tag.strip().lower()))
    for _q, _i, tag in sorted(asked):
        primary = tag.split("-")[0]
        if primary in ("cy", "en"):
            return WELSH if primary == "cy" else ENGLISH
    return None


def choose(connection: HTTPConnection) -> str:
    """`?lang=`, then the remembered choice, then Accept-Language; British English if none."""
    return (
        chosen(connection.query_params.get("lang"))
        or chosen(connection.cookies.get(COOKIE))
        or from_accept_language(connection.headers.get("accept-language", ""))
        or ENGLISH
    )


def use(connection: HTTPConnection) -> str:
    """Answer this request (and what it runs) in its language; return that language."""
    picked = choose(connection)
    _current.set(picked)
    return picked


class LanguageMiddleware:
    """Sets each request's language before any route or error handler runs, and remembers
    a `?lang=` choice in a cookie (a year; the choice is no secret, but is sent only over
    HTTPS where the session cookie is)."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        picked = use(connection)
        remember = chosen(connection.query_params.get("lang")) is not None

        async def sending(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                cookie: SimpleCookie = SimpleCookie()
                cookie[COOKIE] = picked
                cookie[COOKIE].update({"path": "/", "max-age": str(_YEAR), "samesite": "Lax"})
                cookie[COOKIE]["httponly"] = True
                if self.secure:
                    cookie[COOKIE]["secure"] = True
                MutableHeaders(scope=message).append("set-cookie", cookie.output(header="").strip())
            await send(message)

        await self.app(scope, receive, sending)


def switch_to(connection: HTTPConnection) -> dict[str, str]:
    """The header's language switch: the other language, and this page's address in it."""
    other = ENGLISH if language() == WELSH else WELSH
    query = [(k, v) for k, v in parse_qsl(connection.url.query) if k != "lang"]
    query.append(("lang", "en" if other == ENGLISH else "cy"))
    return {
        "href": f"{connection.url.path}?{urlencode(query)}",
        "lang": other,
        "label": "English" if other == ENGLISH else "Cymraeg",
    }


# --- dates in UK form -------------------------------------------------------------------------


def day(value: Any) -> str:
    """A date as "7 Dec 2026" / "7 Rhag 2026"; "?" when there is none."""
    if not value:
        return "?"
    when = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return format_date(when, "d MMM y", locale=_BABEL[language()])


def moment(value: Any) -> str:
    """A date and time as "7 Dec 2026, 14:05" in UK time; the date alone at midnight."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if when.tzinfo is not None:
        when = when.astimezone(_UK)
    if when.time() == time(0):  # a date stored as a moment
        return day(when.date())
    return format_datetime(when, "d MMM y, HH:mm", locale=_BABEL[language()])


def month(value: Any) -> str:
    """An ISO month ("2026-03") as "Mar 2026" / "Maw 2026"; other values as given."""
    text = str(value or "")
    try:
        when = date.fromisoformat(f"{text[:7]}-01")
    except ValueError:
        return text
    return format_date(when, "LLL y", locale=_BABEL[language()])


@cache
def _calendar(language_code: str) -> dict[str, list[str]]:
    locale = _BABEL[language_code]
    months = get_month_names("abbreviated", context="stand-alone", locale=locale)
    wide = get_month_names("wide", context="stand-alone", locale=locale)
    days = get_day_names("abbreviated", context="stand-alone", locale=locale)
    return {
        "months": [months[m] for m in range(1, 13)],
        "months_wide": [wide[m] for m in range(1, 13)],
        "weekdays": [days[(d - 1) % 7] for d in range(7)],  # Sunday first, as JavaScript counts
    }


def calendar_names() -> dict[str, list[str]]:
    """Month and weekday names in the request's language, for charts drawn in the browser: a
    browser's own Intl may lack Welsh (Debian's Chromium does)."""
    return _calendar(language())


# --- names the code holds ---------------------------------------------------------------------

ROLES: Final = {
    "practitioner": N_("practitioner"),
    "investigator": N_("investigator"),
    "analyst": N_("analyst"),
    "reviewer": N_("reviewer"),
    "admin": N_("administrator"),
    "auditor": N_("auditor"),
}


def role_name(role: str) -> str:
    return gettext(ROLES[role]) if role in ROLES else role


AGENCY_KINDS: Final = {
    "adult_social_care": N_("adult social care"),
    "ambulance": N_("ambulance"),
    "childrens_social_care": N_("children's social care"),
    "education": N_("education"),
    "fire": N_("fire and rescue"),
    "health": N_("health"),
    "police": N_("police"),
    "probation": N_("probation"),
    "youth_justice": N_("youth justice"),
}
# The partners' names as the feed definitions give them (mast/feeds/*.yaml), so that each
# appears as the public body writes its own name in Welsh; an unknown name is shown as given.
AGENCY_NAMES: Final = (
    N_("South Wales Police"),
    N_("Swansea Bay University Health Board"),
    N_("Welsh Ambulance Services"),
    N_("Mid and West Wales Fire and Rescue Service"),
    N_("Probation Service Wales"),
    N_("Neath Port Talbot Children's Services"),
    N_("Swansea Children's Services"),
    N_("Western Bay Youth Justice Service"),
    N_("West Glamorgan Adult Services"),
    N_("West Glamorgan Education Inclusion"),
    N_("West Glamorgan Safeguarding Board"),
    N_("Information governance"),
)


def agency_kind(kind: str | None) -> str:
    """A kind of agency (`childrens_social_care`) in words, in the request's language."""
    if not kind:
        return ""
    return gettext(AGENCY_KINDS[kind]) if kind in AGENCY_KINDS else kind.replace("_", " ")


def agency_name(name: str | None) -> str:
    """A partner's name in the request's language, where the catalogue has it."""
    return gettext(name) if name else ""


# The states the daily runs and the files record, as the quality page shows them.
STATES: Final = {
    "ok": N_("done"),
    "partial": N_("partly done"),
    "failed": N_("failed"),
    "running": N_("running"),
    "interrupted": N_("interrupted"),
    "loaded": N_("loaded"),
    "rejected": N_("rejected"),
    "schedule": N_("as scheduled"),
    "manual": N_("started by hand"),
    "full": N_("in full"),
    "incremental": N_("changes only"),
    "none": N_("nothing to do"),
}


def state(code: str | None) -> str:
    """A recorded state (`ok`, `partial`, `manual`…) in words, in the request's language."""
    if not code:
        return ""
    return gettext(STATES[code]) if code in STATES else code
