"""Welsh and English: every interface string has its Welsh, pages come in the language asked
for (`?lang=`, then the remembered choice, then Accept-Language) with the right `lang`,
dates are in UK form in both, errors are branded pages, and a deep link survives sign-in."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, date, datetime

import httpx
import pytest
from babel.messages.pofile import read_po
from starlette.requests import Request

from mast.text import i18n
from mast.web.i18n_extract import columns, extract, missing, placeholders, read_catalogue
from mast.web.routes import next_page, remember_page
from tests.support.api_server import PASSWORD, Api, form_token

PO = i18n.LOCALE_DIR / "cy" / "LC_MESSAGES" / "messages.po"


# --- the catalogue ----------------------------------------------------------------------------


def test_every_interface_string_has_its_welsh() -> None:
    """Extracted with Babel from the Python, the templates and the reports' headers: a msgid
    without a Welsh msgstr fails here, with the command that lists them to translate."""
    used = extract()
    assert "Sign in" in used and "Audit trail" in used  # the extractors found the templates
    assert "Weekly activity" in used  # ...and the reports' titles
    gaps = missing()
    assert not gaps, (
        f"{len(gaps)} interface strings have no Welsh; `python -m mast.web.i18n_extract` "
        f"lists them as .po entries to translate and append: {list(gaps)[:10]}"
    )


def test_the_check_finds_a_string_without_welsh() -> None:
    """So that a clean verdict means something: a msgid with no entry, or an empty one."""
    catalogue = read_catalogue()
    del catalogue["Sign in"]
    catalogue["Audit trail"].string = ""
    assert {"Sign in", "Audit trail"} <= set(missing(catalogue))


def test_a_reports_columns_are_found_for_the_catalogue() -> None:
    """The names a report's table heads its columns with: aliases and bare variables, each
    RETURN of a UNION, commas inside brackets not splitting an item."""
    cypher = (
        "// @param x int\nMATCH (p) WITH p, count(*) AS events\n"
        "RETURN p.person_id AS person_id, collect(DISTINCT [p.a, p.b]) AS pairs, events\n"
        "ORDER BY events DESC LIMIT 5 UNION MATCH (q) RETURN q.id AS person_id, 1 AS hops"
    )
    assert columns(cypher) == ["person_id", "pairs", "events", "hops"]


def test_welsh_keeps_every_placeholder() -> None:
    """A translation that drops or renames %(name)s would fail at render or lose a value."""
    wrong = []
    for message in read_catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = placeholders(ids[-1])
        wrong += [message.id for s in strings if s and placeholders(s) != expected]
    assert wrong == []


def test_two_entries_for_one_msgid_agree() -> None:
    """The catalogue merges by union, so two branches can add one msgid; the first wins at
    run time, so two that disagree are a translation silently lost."""
    blocks = [b for b in PO.read_text(encoding="utf-8").split("\n\n") if "msgid" in b]
    seen: dict[object, object] = {}
    conflicts = []
    for block in blocks[1:]:  # the first is the header
        for message in read_po(io.BytesIO(block.encode()), locale="cy"):
            if message.id:
                if message.id in seen and seen[message.id] != message.string:
                    conflicts.append(message.id)
                seen.setdefault(message.id, message.string)
    assert conflicts == []


# --- choosing and dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("cy", "cy"),
        ("cy-GB,cy;q=0.9,en-GB;q=0.8", "cy"),
        ("en-GB,en;q=0.9,cy;q=0.8", "en-GB"),
        ("fr-FR,fr;q=0.9,cy;q=0.5,en;q=0.4", "cy"),
        ("en;q=0.2, cy;q=0.7", "cy"),
        ("de", None),
        ("cy;q=0", None),
        ("", None),
    ],
)
def test_accept_language_picks_the_first_language_we_have(
    header: str, language: str | None
) -> None:
    assert i18n.from_accept_language(header) == language


def test_dates_are_in_uk_form_in_both_languages() -> None:
    """Babel with CLDR's cy and en_GB; the time in UK time, whatever the zone it came in."""
    summer = datetime(2026, 6, 30, 22, 15, tzinfo=UTC)  # 23:15 in London
    token = i18n._current.set(i18n.ENGLISH)
    try:
        assert i18n.day("2026-12-07") == "7 Dec 2026"
        assert i18n.moment(summer) == "30 Jun 2026, 23:15"
        assert i18n.moment("2026-02-03T00:00:00") == "3 Feb 2026"
        assert i18n.day(None) == "?"
        i18n._current.set(i18n.WELSH)
        assert i18n.day(date(2026, 12, 7)) == "7 Rhag 2026"
        assert i18n.moment(summer) == "30 Meh 2026, 23:15"
        assert i18n.gettext("Sign out") == "Allgofnodi"
        assert i18n.ngettext("%(n)s row", "%(n)s rows", 2) % {"n": 2} == "2 rhes"
    finally:
        i18n._current.reset(token)
    assert i18n.gettext("Sign out") == "Sign out"  # English again, outside that request


# --- pages over HTTP --------------------------------------------------------------------------


def _lang(page: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _text(response: httpx.Response) -> str:
    return html.unescape(response.text)


def test_lang_cy_gives_welsh_pages_and_is_remembered(api: Api) -> None:
    with httpx.Client(base_url=api.url, timeout=60) as client:
        english = client.get("/login")
        assert _lang(english.text) == "en-GB" and "Sign in" in english.text
        assert 'lang="cy" hreflang="cy">Cymraeg</a>' in english.text  # the switch
        welsh = client.get("/login?lang=cy")
        assert _lang(welsh.text) == "cy"
        assert "Mewngofnodi" in welsh.text and "Enw defnyddiwr" in welsh.text
        assert ">English</a>" in welsh.text and "Sign in" not in welsh.text
        assert "mast_lang=cy" in welsh.headers["set-cookie"]
        again = client.get("/login")  # no ?lang: the cookie remembers
        assert _lang(again.text) == "cy" and "Mewngofnodi" in again.text
        token = form_token(client)
        wrong = client.post("/login", data={"username": "nobody", "password": "x", "csrf": token})
        assert "Mae'r enw defnyddiwr neu'r cyfrinair yn anghywir." in _text(wrong)
        back = client.get("/login?lang=en")
        assert _lang(back.text) == "en-GB" and "Sign in" in back.text
        assert _lang(client.get("/login").text) == "en-GB"
    with httpx.Client(base_url=api.url, timeout=60) as browser:  # a Welsh browser
        asked = browser.get("/login", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})
        assert _lang(asked.text) == "cy"
        assert "mast_lang" not in asked.headers.get("set-cookie", "")  # asked, not chosen


def test_a_signed_in_page_in_welsh_has_welsh_dates_and_roles(api: Api) -> None:
    with httpx.Client(base_url=api.url, timeout=60) as client:
        token = form_token(client, "/login?lang=cy")
        client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf": token})
        client.post("/purpose", data={"purpose": "gwirio ansawdd", "csrf": token})
        quality = client.get("/quality")
        assert quality.status_code == 200
        assert _lang(quality.text) == "cy"
        assert "Ffrydiau data ac ansawdd data" in quality.text
        assert "(gweinyddwr, test)" in quality.text and "Allgofnodi" in quality.text
        assert "Pwrpas mynediad:" in quality.text


def test_unknown_and_forbidden_pages_are_branded_in_both_languages(api: Api) -> None:
    page = {"Accept": "text/html,application/xhtml+xml"}
    with httpx.Client(base_url=api.url, timeout=60, headers=page) as client:
        unknown = client.get("/no/such/page")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("text/html")
        assert (
            "<h1>Page not found</h1>" in unknown.text and 'href="/static/mast.css"' in unknown.text
        )
        welsh = client.get("/no/such/page?lang=cy")
        assert welsh.status_code == 404 and "Heb ddod o hyd i'r dudalen" in _text(welsh)
        assert _lang(welsh.text) == "cy"
        token = form_token(client, "/login?lang=en")
        client.post("/login", data={"username": "auditor", "password": PASSWORD, "csrf": token})
        client.post("/purpose", data={"purpose": "quarterly audit", "csrf": token})
        forbidden = client.get("/analysis")  # an auditor may not: it looks like not found
        assert forbidden.status_code == 404 and "<h1>Page not found</h1>" in forbidden.text
        lost = client.get("/no/such/page")  # signed in: the header keeps its menu
        assert lost.status_code == 404 and 'href="/audit-trail"' in lost.text
    with httpx.Client(base_url=api.url, timeout=60) as machine:  # API clients keep JSON
        answer = machine.get("/no/such/page")
        assert answer.status_code == 404 and answer.json() == {"detail": "Not Found"}


def test_a_refused_form_is_a_page_that_says_what_to_do(api: Api) -> None:
    """A form posted without the session's token (an expired page): a page, not JSON."""
    page = {"Accept": "text/html"}
    with httpx.Client(base_url=api.url, timeout=60, headers=page) as client:
        form_token(client, "/login?lang=cy")
        refused = client.post("/login", data={"username": "a", "password": "b", "csrf": "old"})
        assert refused.status_code == 403 and _lang(refused.text) == "cy"
        assert "<h1>Heb ei anfon</h1>" in refused.text and "ail-lwythwch" in refused.text


def test_a_server_error_is_a_branded_page(api: Api) -> None:
    """An unexpected failure in a page: the 500 page in the visitor's language, no trace."""

    async def broken() -> None:
        raise RuntimeError("a failure quoting Jane Doe 1990-01-01")

    api.app.add_api_route("/test-broken-page", broken, include_in_schema=False)
    page = {"Accept": "text/html"}
    try:
        # One connection each: the server closes one that ended in a failure.
        failed = httpx.get(f"{api.url}/test-broken-page?lang=cy", headers=page, timeout=60)
        assert failed.status_code == 500 and _lang(failed.text) == "cy"
        assert "Aeth rhywbeth o'i le" in _text(failed) and "Jane Doe" not in failed.text
        english = httpx.get(f"{api.url}/test-broken-page?lang=en", headers=page, timeout=60)
        assert english.status_code == 500 and "Something went wrong" in english.text
        machine = httpx.get(f"{api.url}/test-broken-page", timeout=60)
        assert machine.status_code == 500 and "<html" not in machine.text
    finally:
        api.app.router.routes[:] = [
            r for r in api.app.router.routes if getattr(r, "path", "") != "/test-broken-page"
        ]


def test_a_deep_link_survives_sign_in(api: Api) -> None:
    with httpx.Client(base_url=api.url, timeout=60) as client:
        asked = client.get("/analysis/weekly_activity?run=1")
        assert asked.status_code == 303 and asked.headers["location"] == "/login"
        token = form_token(client)
        signed = client.post(
            "/login", data={"username": "analyst", "password": PASSWORD, "csrf": token}
        )
        assert signed.headers["location"] == "/purpose"
        stated = client.post("/purpose", data={"purpose": "weekly figures", "csrf": token})
        assert stated.headers["location"] == "/analysis/weekly_activity?run=1"
        # Once used, it is forgotten: the next sign-in goes to the role's first page.
        again = client.post("/purpose", data={"purpose": "weekly figures 2", "csrf": token})
        assert again.headers["location"] == "/search"  # the analyst's first page


def test_a_deep_link_elsewhere_is_not_followed() -> None:
    """Only this site's own pages: to a browser `//evil.example` is another site."""
    for path, query, after in (
        ("/people/P1", b"from=2025-01-01", "/people/P1?from=2025-01-01"),
        ("/", b"", "/"),  # the way in is no page asked for
    ):
        scope = {"type": "http", "method": "GET", "path": path, "query_string": query}
        request = Request({**scope, "headers": [], "session": {}})
        remember_page(request)
        assert next_page(request, "/") == after
    for elsewhere in ("//evil.example/x", "/\\evil.example", "https://evil.example/"):
        scope = {"type": "http", "method": "GET", "path": "/", "query_string": b""}
        request = Request({**scope, "headers": [], "session": {"next": elsewhere}})
        assert next_page(request, "/") == "/"


# --- values on Welsh pages --------------------------------------------------------------------


def _sign_in(client: httpx.Client, role: str = "practitioner") -> None:
    signed = {"username": role, "password": PASSWORD, "purpose": "welsh values test"}
    assert client.post("/auth/login", json=signed).status_code == 200


def _busy_person(api: Api) -> tuple[str, str]:
    """A person with events on three days or more, one of those days having one event."""
    rows = api.cypher(
        "MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`) "
        "WITH p, e.day AS day, count(DISTINCT e) AS n "
        "WITH p, collect([CAST(day AS STRING), CAST(n AS STRING)]) AS days "
        "WHERE size(days) >= 3 RETURN p.person_id, days ORDER BY p.person_id LIMIT 50"
    )
    person, days = next((p, d) for p, d in rows if any(n == "1" for _, n in d))
    return person, next(day[:10] for day, n in days if n == "1")


def test_the_chronology_print_view_counts_its_events_in_both_languages(api: Api) -> None:
    """Jinja's `{% pluralize %}` counts by the block's first variable unless told which: the
    Welsh page failed (a date is no number) and English always said "events"."""
    person, lone = _busy_person(api)
    url = f"/people/{person}/chronology/print"
    with api.client() as client:
        _sign_in(client)
        every = client.get(url, params={"lang": "cy", "meeting": "cyfarfod"})
        assert every.status_code == 200, every.text[:300]
        assert _lang(every.text) == "cy" and "Cronoleg amlasiantaethol" in every.text
        n = _text(every).count('data-label="Dyddiad"')
        assert n >= 3 and f", y diweddaraf yn gyntaf, {n} digwyddiad" in _text(every)
        one = client.get(url, params={"lang": "en", "from": lone, "to": lone})
        assert _text(one).count('data-label="Date"') == 1
        assert ", newest first, 1 event<" in _text(one)
        lone_cy = client.get(url, params={"lang": "cy", "from": lone, "to": lone})
        assert lone_cy.status_code == 200 and ", 1 digwyddiad<" in _text(lone_cy)
        several = client.get(url, params={"lang": "en"})
        assert f", newest first, {n} events<" in _text(several)


def _visible(page: str) -> str:
    """The page's text as read: no tags, scripts or attributes."""
    body = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_a_welsh_person_page_words_the_records_values(api: Api) -> None:
    """Sex, kinds of event, roles, relations, agencies and local authorities come in Welsh;
    the English words and codes the records hold are gone from the page's text."""
    rows = api.cypher(
        "MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`) "
        "WHERE p.sex IS NOT NULL AND e.kind = 'occurrence' "
        "RETURN DISTINCT p.person_id ORDER BY p.person_id LIMIT 1"
    )
    person = rows[0][0]
    with api.client() as client:
        _sign_in(client, "investigator")
        welsh = client.get(f"/people/{person}", params={"lang": "cy"})
        english = client.get(f"/people/{person}", params={"lang": "en"})
    assert welsh.status_code == 200 and english.status_code == 200
    cy, en = _visible(welsh.text), _visible(english.text)
    assert "occurrence" in en  # the police's events are on the page
    for code in ("occurrence", "ambulance_call", "ed_attendance", " female", " male"):
        assert code not in cy, code
    assert "digwyddiad heddlu" in cy
    assert re.search(r"\b(benyw|gwryw)\b", cy)
    for agency in ("South Wales Police", "Swansea Bay University Health Board"):
        assert agency not in cy, agency
    for role in ("Suspect", "Victim", "Witness"):
        assert f"({role})" not in cy, role
    assert not re.search(r"\((Swansea|Neath Port Talbot)\)", cy)  # an address's authority
    assert not re.search(r"\b(Household|Mother|Father|Parent|Child):", cy)
    assert "record(s) of" not in cy and "same address" not in cy


def test_a_welsh_address_page_words_its_authority_and_premises(api: Api) -> None:
    rows = api.cypher(
        "MATCH (a:`Address`) WHERE a.local_authority IN ['Swansea', 'Neath Port Talbot'] "
        "AND a.premises_type = 'dwelling' RETURN a.address_id ORDER BY a.address_id LIMIT 1"
    )
    address = rows[0][0]
    with api.client() as client:
        _sign_in(client, "investigator")
        welsh = client.get(f"/addresses/{address}", params={"lang": "cy"})
    assert welsh.status_code == 200
    facts = _visible(welsh.text.split('<dl class="facts"', 1)[1].split("</dl>", 1)[0])
    assert "dwelling" not in facts and "annedd" in facts
    assert "Swansea" not in facts and "Neath Port Talbot" not in facts
    assert "Abertawe" in facts or "Castell-nedd Port Talbot" in facts


def test_the_welsh_audit_trail_offers_and_words_the_chronology_exports(api: Api) -> None:
    """The print, PDF and CSV exports are filterable actions with Welsh labels, and the Who
    column's role is in Welsh."""
    person, _lone = _busy_person(api)
    with api.client() as client:
        _sign_in(client)
        assert client.get(f"/people/{person}/chronology/print").status_code == 200
    with api.client() as client:
        _sign_in(client, "auditor")
        trail = client.get("/audit-trail", params={"lang": "cy", "action": "chronology-print"})
    assert trail.status_code == 200
    text = _text(trail)
    options = text.split('id="f-action"', 1)[1].split("</select>", 1)[0]
    for code in ("chronology-print", "chronology-pdf", "chronology-csv"):
        assert f'value="{code}"' in options, code
    assert "argraffodd gronoleg" in options and "allforiodd gronoleg (PDF)" in options
    rows = _visible(text.split('id="trail"', 1)[1])
    assert "argraffodd gronoleg" in rows and "chronology-print" not in rows
    assert "(ymarferydd," in rows and "(practitioner," not in rows


def test_the_chronology_pdf_is_worded_in_welsh(api: Api) -> None:
    """Its title, headings, columns and values in the language it was asked in."""
    from pypdf import PdfReader  # noqa: PLC0415

    person, _lone = _busy_person(api)
    with api.client() as client:
        _sign_in(client)
        pdf = client.get(f"/people/{person}/chronology.pdf", params={"lang": "cy"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    words = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Cronoleg amlasiantaethol" in words and "Argraffwyd gan" in words
    assert "Dyddiad" in words and "Asiantaeth" in words and "ymarferydd" in words
    for english in ("Multi-agency chronology", "Printed by", "newest first", "Purpose:"):
        assert english not in words, english


def test_the_welsh_not_this_person_page_words_the_event(api: Api) -> None:
    rows = api.cypher(
        "MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(r:`Record`)-[:`IN_EVENT`]->(e:`Event`) "
        "WHERE e.kind = 'occurrence' "
        "RETURN p.person_id ORDER BY p.person_id LIMIT 1"
    )
    person = rows[0][0]
    with api.client() as client:
        _sign_in(client)
        welsh = client.get(f"/people/{person}", params={"lang": "cy"})
        links = re.findall(r'href="(/people/[^"]+/not-the-same\?record_id=[^"]+)"', welsh.text)
        police = [html.unescape(x) for x in links if "police" in x] or links
        dispute = client.get(html.unescape(police[0]))
    assert dispute.status_code == 200
    event = _visible(dispute.text.split("<dl", 1)[1].split("</dl>", 1)[0])
    for english in (*i18n.AGENCY_NAMES, "occurrence", "ambulance_call", "ed_attendance"):
        assert english not in event, english


def test_a_welsh_reports_pick_lists_name_categories_and_areas_in_welsh(api: Api) -> None:
    with httpx.Client(base_url=api.url, timeout=60) as client:
        token = form_token(client, "/login?lang=cy")
        client.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf": token})
        client.post("/purpose", data={"purpose": "dadansoddi", "csrf": token})
        form = client.get("/analysis/high_contact_addresses").text
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', form)
    ticks = re.findall(
        r'<input type="checkbox" name="categories" value="([^"]*)"[^>]*> ([^<]*)</label>', form
    )
    shown = dict(options + ticks)
    assert shown.get("Swansea") == "Abertawe"
    assert shown.get("Domestic abuse") == "Cam-drin domestig"


def test_a_refused_dispute_shows_its_form_again_in_welsh_with_what_was_typed(api: Api) -> None:
    """A reason of spaces, or a record not this person's, used to end on a dead-end English
    page ("Not reported") that lost the form; a link cut short gave the framework's JSON."""
    person = api.cypher(
        "MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(r:`Record`) RETURN p.person_id, r.record_id "
        "ORDER BY p.person_id LIMIT 1"
    )[0]
    with api.client(None, purpose=None) as client:
        client.headers["Origin"] = api.url
        signed = {"username": "reviewer", "password": PASSWORD, "purpose": "welsh form test"}
        assert client.post("/auth/login", json=signed).status_code == 200
        client.headers["X-CSRF-Token"] = form_token(client, "/purpose")
        path = f"/people/{person[0]}/not-the-same?lang=cy"
        blank = client.post(path, data={"record_id": person[1], "reason": "   "})
        assert blank.status_code == 400 and _lang(blank.text) == "cy"
        assert "Dywedwch pam nad yw'r cofnod yn perthyn i'r person hwn." in html.unescape(
            blank.text
        )
        assert 'name="reason"' in blank.text and "Not reported" not in blank.text
        stranger = client.post(path, data={"record_id": "police:NOT-THEIRS", "reason": "arall"})
        assert stranger.status_code == 400 and ">arall</textarea>" in stranger.text
        assert "Nid yw'r cofnod hwnnw wedi'i gysylltu" in html.unescape(stranger.text)
        cut = client.get(
            f"/people/{person[0]}/not-the-same?lang=cy", headers={"Accept": "text/html"}
        )
        assert cut.status_code == 400 and "Heb ei ddeall" in cut.text and '"detail"' not in cut.text


def test_an_age_alone_says_what_to_add_instead_of_showing_nothing(api: Api) -> None:
    """'aged 17' or '17 oed' alone searched nothing and showed a blank page (a tester)."""
    with api.client() as client:
        _sign_in(client)
        english = client.get("/search/results", params={"q": "aged 17"})
        welsh = client.get("/search/results", params={"q": "17 oed", "lang": "cy"})
    assert "An age alone fits too many people" in html.unescape(english.text)
    assert "Mae oedran ar ei ben ei hun" in html.unescape(welsh.text)
