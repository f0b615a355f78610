"""The web UI in Welsh and English in a real browser (Debian's chromium): the switch in the
header of every page, sign-in included, is remembered from page to page; `lang` is right;
axe-core finds nothing serious in either language, at 1280 and 360 px (screenshots in
test-artefacts/)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e import test_ui
from tests.e2e.test_ui import _shot, _someone
from tests.support.api_server import PASSWORD, Api

pytestmark = pytest.mark.integration
browser = test_ui.browser  # the same chromium fixture, for this module's tests


def _sign_in(page: Page, api: Api, username: str, purpose: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#purpose-text", purpose)
    page.click("main button[type=submit]")


@pytest.mark.parametrize("width", [1280, 360])
def test_an_analyst_works_in_welsh_and_switches_back(
    api: Api, browser: Browser, width: int
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{api.url}/login")
    assert page.get_attribute("html", "lang") == "en-GB"
    page.click("header >> text=Cymraeg")  # the switch, before signing in
    assert page.get_attribute("html", "lang") == "cy"
    assert page.inner_text("h1") == "Mewngofnodi"
    _shot(page, f"login-cy-{width}")
    _sign_in(page, api, "analyst", "adolygiad ymarfer 7")
    page.goto(f"{api.url}/analysis")  # no ?lang: the choice is remembered
    assert page.get_attribute("html", "lang") == "cy"
    assert page.inner_text("h1") == "Dadansoddi"
    page.wait_for_selector("main .cards a.figure")
    assert "Gweithgarwch wythnosol" in page.inner_text("main")
    assert "Allgofnodi" in page.inner_text("header")
    _shot(page, f"analysis-cy-{width}")
    page.goto(f"{api.url}/analysis/weekly_activity?run=1")
    assert "rhes" in page.inner_text("#rows-heading")
    _shot(page, f"report-cy-{width}")
    page.goto(f"{api.url}/quality")
    assert "Rhediadau dyddiol" in page.inner_text("main")
    _shot(page, f"quality-cy-{width}")
    someone = _someone(api)
    page.goto(f"{api.url}/network/{someone['id']}")
    page.wait_for_function("() => window.mastNetwork && window.mastNetwork.nodes().length >= 1")
    assert "Rhwydwaith" in page.inner_text("h1")
    _shot(page, f"network-cy-{width}")
    assert errors == []  # no script failed and every resource loaded, in Welsh
    page.goto(f"{api.url}/no/such/page")
    assert page.inner_text("h1") == "Heb ddod o hyd i'r dudalen"
    _shot(page, f"not-found-cy-{width}")
    page.click("header >> text=English")
    assert page.get_attribute("html", "lang") == "en-GB"
    assert page.inner_text("h1") == "Page not found"
    _shot(page, f"not-found-en-{width}")
    page.goto(f"{api.url}/analysis")
    assert page.inner_text("h1") == "Analysis"  # English is remembered too
    page.close()


def test_a_deep_link_opens_after_sign_in_in_the_browser(api: Api, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 800}, bypass_csp=True)
    page.goto(f"{api.url}/analysis/weekly_activity?run=1&lang=cy")
    assert page.url.endswith("/login")
    _sign_in(page, api, "analyst", "ffigurau wythnosol")
    assert page.url.endswith("/analysis/weekly_activity?run=1&lang=cy")
    assert page.get_attribute("html", "lang") == "cy"
    page.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_the_practitioner_reviewer_and_auditor_pages_in_welsh(
    api: Api, browser: Browser, width: int
) -> None:
    """Each persona's own pages in Welsh: `lang="cy"`, Welsh headings, and axe clean (`_shot`)."""
    someone = _someone(api)
    address = api.cypher(
        "MATCH (a:`Address`)<-[:`LIVED_AT`]-(:`Person`) RETURN a.address_id "
        "ORDER BY a.address_id LIMIT 1"
    )[0][0]
    for username, purpose, pages in (
        (
            "practitioner",
            "asesiad 17",
            [
                f"/search?q={someone['family']}",
                f"/people/{someone['id']}",
                f"/addresses/{address}",
            ],
        ),
        ("reviewer", "adolygiad ymarfer 3", ["/review"]),
        ("auditor", "archwiliad chwarterol", ["/audit-trail"]),
    ):
        page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
        page.goto(f"{api.url}/login?lang=cy")
        _sign_in(page, api, username, purpose)
        for path in pages:
            page.goto(f"{api.url}{path}")
            assert page.get_attribute("html", "lang") == "cy", path
            assert "Allgofnodi" in page.inner_text("header"), path
            assert "Sign out" not in page.inner_text("body"), path
            _shot(page, f"{username}-{path.split('/')[1].split('?')[0]}-cy-{width}")
        page.close()


def test_the_timeline_axis_names_months_in_the_pages_language(api: Api, browser: Browser) -> None:
    """vis-timeline names months in English whatever the page; the axis must follow `lang`."""
    english = re.compile(
        r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
    )
    welsh = re.compile(r"(Ion|Chw|Maw|Ebr|Mai|Meh|Gor|Awst|Medi|Hyd|Tach|Rhag)")
    someone = _someone(api)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page.goto(f"{api.url}/login?lang=cy")
    _sign_in(page, api, "practitioner", "asesiad 17")
    page.goto(f"{api.url}/people/{someone['id']}")
    page.wait_for_selector("#timeline .vis-time-axis .vis-text.vis-minor:not(.vis-measure)")
    axis = page.inner_text("#timeline .vis-time-axis.vis-foreground")
    page.close()
    assert welsh.search(axis), axis
    assert not english.search(axis), axis
