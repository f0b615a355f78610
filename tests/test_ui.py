"""The web UI in a real browser (Debian's chromium, driven by Playwright): sign in, state a
purpose, search with a misspelt name, open the person, filter the chronology — at 1280 px
and at 360 px, with screenshots in test-artefacts/ — and every page read audited."""

from __future__ import annotations

import csv
import itertools
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from api_server import PASSWORD, Api
from playwright.sync_api import Browser, Page, Route, sync_playwright

from mast.core.db import open_store
from mast.resolver.export import csv_safe

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parent.parent
ARTEFACTS = ROOT / "test-artefacts"
AXE = ROOT / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if CHROMIUM is None:
        pytest.fail(
            "chromium is not installed: `make install` installs it (apt-get install chromium)"
        )
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def _someone(api: Api) -> dict[str, Any]:
    """A person with events from two agencies or more, and their name misspelt."""
    rows = api.cypher(
        "MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`) "
        "WHERE size(p.family_name) > 4 AND p.dob IS NOT NULL "
        "WITH p, count(DISTINCT e.agency) AS agencies WHERE agencies >= 2 "
        "RETURN p.person_id, p.given_name, p.family_name, p.dob ORDER BY p.person_id LIMIT 1"
    )
    person_id, given, family, dob = rows[0]
    typo = family[0] + family[2] + family[1] + family[3:]
    return {
        "id": person_id,
        "given": given,
        "family": family,
        "dob": dob,
        "typed": f"{given} {typo}",
    }


def _signed_in(
    browser: Browser,
    api: Api,
    username: str,
    purpose: str,
    *,
    width: int,
    height: int = 900,
    csp: bool = False,
) -> Page:
    """A page signed in as `username`, past the purpose prompt. axe is injected as a script,
    which the pages' Content-Security-Policy would refuse, hence bypass_csp unless `csp`."""
    page = browser.new_page(viewport={"width": width, "height": height}, bypass_csp=not csp)
    page.goto(f"{api.url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#purpose-text", purpose)
    page.click("main button[type=submit]")
    return page


def _shot(page: Page, name: str) -> None:
    """A screenshot for the artefacts, and axe-core's verdict on the page (WCAG 2.2 AA)."""
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}-top.png"))  # what fits the screen: the guide's
    found = _axe(page)
    (ARTEFACTS / f"{name}.axe.json").write_text(json.dumps(found, indent=2), encoding="utf-8")
    bad = [v for v in found if v["impact"] in {"serious", "critical"}]
    assert bad == [], f"{name}: {bad}"


def _axe(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))",
        WCAG,
    )
    return found


def test_axe_finds_what_it_should(browser: Browser) -> None:
    """So that a clean verdict above means something: missing labels, low contrast and an
    image without a text alternative are all reported."""
    page = browser.new_page(bypass_csp=True)
    page.set_content(
        '<html lang="en"><body><main><input type="text">'
        '<p style="color:#bbb;background:#fff">faint</p><img src="data:,"></main></body></html>'
    )
    found = {v["id"] for v in _axe(page) if v["impact"] in {"serious", "critical"}}
    assert {"label", "color-contrast", "image-alt"} <= found
    page.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_a_practitioner_finds_a_misspelt_person_and_reads_their_chronology(
    api: Api, browser: Browser, width: int
) -> None:
    someone = _someone(api)
    before = api.last_seq()
    # axe is injected as a script, which the pages' Content-Security-Policy would refuse.
    page = browser.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{api.url}/people/{someone['id']}")
    assert page.url.endswith("/login")  # nothing without signing in
    _shot(page, f"login-{width}")
    page.fill("#username", "investigator")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    _shot(page, f"purpose-{width}")
    page.fill("#purpose-text", f"browser test at {width}px")
    page.click("main button[type=submit]")
    page.fill(
        "#q",
        f"{someone['typed']} {someone['dob'][8:10]}/{someone['dob'][5:7]}/{someone['dob'][:4]}",
    )
    page.wait_for_selector("#results .hits a")
    _shot(page, f"search-{width}")
    link = page.locator(f"#results a[href='/people/{someone['id']}']")
    assert link.count() == 1, "the misspelt search should find the person"
    started = time.perf_counter()
    link.click()
    page.wait_for_selector("#chronology")
    page.wait_for_load_state("load")
    seconds = time.perf_counter() - started
    _shot(page, f"person-{width}")
    assert someone["family"] in page.inner_text("h1")
    rows = page.locator("table tbody tr")
    everything = page.locator("main table").first.locator("tbody tr").count()
    assert everything >= 2 and rows.count() >= everything
    # Filter the chronology to the first agency offered.
    first = page.locator("fieldset input[name=agency]").first
    agency = first.get_attribute("value")
    first.check()
    page.click("form[action*='#chronology'] button[type=submit]")
    page.wait_for_selector("#chronology")
    shown = page.locator("main table").first.locator("tbody tr td:nth-child(2)").all_inner_texts()
    assert shown and set(shown) == {agency}
    _shot(page, f"person-filtered-{width}")
    assert errors == []
    entries = api.audited_since(before)
    purposes = {e["purpose"] for e in entries if e["operation"] == "graphql"}
    assert purposes == {f"browser test at {width}px"}
    viewed = set().union(*(json.loads(e["result_ids"]) for e in entries))
    assert someone["id"] in viewed
    (ARTEFACTS / f"person-page-{width}.txt").write_text(
        f"person page rendered in {seconds:.3f} s at {width} px\n", encoding="utf-8"
    )
    # An address the person was at.
    page.locator("main table a[href^='/addresses/']").first.click()
    page.wait_for_selector("h2:has-text('Residents')")
    _shot(page, f"address-{width}")
    # A report: the dashboard's figures, then the form, its table and its CSV.
    page.goto(f"{api.url}/analysis")
    page.wait_for_selector("a.figure")
    page.wait_for_function("() => document.getElementById('weekly')?.dataset.drawn")
    _shot(page, f"analysis-{width}")
    page.goto(f"{api.url}/analysis/high_contact_addresses")
    page.fill("#p-min", "1")
    page.fill("#p-max", "1000")
    page.click("main form button[type=submit]")
    page.wait_for_selector("main table tbody tr")
    _shot(page, f"report-{width}")
    with page.expect_download() as download:
        page.click("text=Download CSV")
    lines = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("address_id,") and len(lines) > 1
    assert api.audited_since(before)[-1]["operation"] == "graphql"
    page.close()


def test_an_auditor_sees_who_viewed_a_person(api: Api, browser: Browser) -> None:
    someone = _someone(api)
    with api.client("reviewer") as client:  # somebody looks first
        client.post("/graphql", json={"query": f'{{ person(id: "{someone["id"]}") {{ dob }} }}'})
    page = _signed_in(browser, api, "auditor", "quarterly audit", width=1280, height=900)
    assert page.url.endswith("/search")
    page.goto(f"{api.url}/audit-trail?person={someone['id']}")
    page.wait_for_selector("main table")
    _shot(page, "audit-trail-1280")
    cells = page.locator("main table tbody td[data-label=Who]").all_inner_texts()
    assert any(c.startswith("reviewer") for c in cells)
    page.goto(f"{api.url}/people/{someone['id']}")  # auditors see no personal data
    assert "Not found" in page.inner_text("h1")
    page.close()


def _two_steps(api: Api) -> tuple[str, str, str]:
    """Three people in a chain of family links: a, b related to a, c related to b."""
    row: list[str] = api.cypher(
        "MATCH (a:`Person`)-[:`RELATED`]-(b:`Person`)-[:`RELATED`]-(c:`Person`) "
        "WHERE a.person_id <> c.person_id "
        "RETURN a.person_id, b.person_id, c.person_id ORDER BY a.person_id LIMIT 1"
    )[0]
    return row[0], row[1], row[2]


@pytest.mark.parametrize("width", [1280, 360])
def test_an_investigator_expands_a_network_and_finds_a_connection(
    api: Api, browser: Browser, width: int
) -> None:
    start, middle, far = _two_steps(api)
    before = api.last_seq()
    page = _signed_in(browser, api, "investigator", "network test", width=width, height=900)
    page.goto(f"{api.url}/people/{start}")
    page.click("text=Explore their network")
    page.wait_for_function("() => window.mastNetwork && window.mastNetwork.nodes().length > 1")
    ids = set(page.evaluate("() => window.mastNetwork.nodes().map(n => n.id())"))
    assert middle in ids
    # Select the middle person as a tap would (fCoSE places nodes at random, so where to
    # click is not known in advance; cytoscape's own select fires the same handlers).
    page.evaluate(f"() => window.mastNetwork.getElementById('{middle}').select()")
    page.click("#expand")
    page.wait_for_function(f"() => location.hash.includes('{middle}')")
    assert f"#expanded={start},{middle}" in page.url  # a deep link that reopens this view
    assert page.evaluate(f"() => window.mastNetwork.getElementById('{far}').nonempty()")
    _shot(page, f"network-{width}")
    # Filter the "same event" links to one agency's events: the others disappear.
    agencies = page.locator("#event-agency option").all_inner_texts()[1:]
    if agencies:
        page.select_option("#event-agency", label=agencies[0])
        shown = page.evaluate(
            "() => window.mastNetwork.edges(\"[kind = 'event']\").filter(e => e.visible())"
            ".map(e => e.data('events').map(ev => ev.agency))"
        )
        assert all(agencies[0] in found for found in shown)
        page.select_option("#event-agency", value="")
    # Without a mouse: the list under the drawing has a button for every person.
    page.locator(f"#network-list button[data-id='{far}']").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => location.hash.includes('{far}')")
    page.fill("#other", far)
    page.click("#connect button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('status').textContent.includes('Connected')"
    )
    assert page.locator("#network-list li").count() >= 1
    with page.expect_download() as download:
        page.click("#csv")
    assert far in Path(download.value.path()).read_text(encoding="utf-8")
    entries = api.audited_since(before)
    seen = set().union(*(json.loads(e["result_ids"]) for e in entries))
    assert {start, middle, far} <= seen
    # The explorer also starts from a place: its residents and the people at its events.
    page.goto(f"{api.url}/people/{start}")
    page.locator("main a[href^='/addresses/']").first.click()
    page.click("text=Explore who is connected to this address")
    page.wait_for_function("() => window.mastNetwork && window.mastNetwork.nodes().length > 1")
    assert page.evaluate("() => window.mastNetwork.nodes(\"[kind = 'address']\").length") == 1
    _shot(page, f"network-address-{width}")
    page.close()


@pytest.mark.parametrize("width", [1280, 360])
def test_a_reviewer_reports_a_wrong_link_and_rules_on_it(
    api: Api, browser: Browser, width: int
) -> None:
    person = api.cypher(
        "MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(r:`Record`) WITH p, count(r) AS n "
        "WHERE n >= 2 RETURN p.person_id ORDER BY p.person_id LIMIT 1"
    )[0][0]
    before = api.last_seq()
    page = _signed_in(browser, api, "reviewer", "practice review 12", width=width, height=900)
    page.goto(f"{api.url}/people/{person}")
    page.locator("#records ~ div table button", has_text="Not this person").first.click()
    status = page.locator("[role=status]", has_text="review queue").inner_text()
    item = status.rsplit(" ", 1)[-1].rstrip(".")
    page.click("header nav >> text=Review")
    section = page.locator(f"section:has(h2#item-{item})")
    _shot(page, f"review-{width}")
    section.locator("input[value=unlink]").check()
    section.locator("input[name=reason]").fill("different dates of birth on the GP record")
    section.locator("button[type=submit]").click()
    assert f"Item {item} decided" in page.inner_text("main")
    operations = [e["operation"] for e in api.audited_since(before)]
    assert {"report-link", "review", "review-decide"} <= set(operations)
    engine = open_store(api.settings)
    with engine.connect() as conn:
        ruling = conn.execute(
            sa.text("SELECT decision, decided_by FROM decisions ORDER BY decision_id DESC LIMIT 1")
        ).one()
    engine.dispose()
    assert tuple(ruling) == ("unlink", "reviewer")
    page.close()


def test_an_administrator_lands_on_the_quality_of_every_feed(api: Api, browser: Browser) -> None:
    before = api.last_seq()
    page = _signed_in(browser, api, "admin", "weekly feed check", width=360, height=800)
    page.goto(f"{api.url}/")
    assert page.url.endswith("/quality")
    feeds = page.locator("main table tbody th[data-label=Feed]").all_inner_texts()
    assert {"police", "health", "ambulance"} <= set(feeds)
    _shot(page, "quality-360")
    assert [e["operation"] for e in api.audited_since(before)][-1] == "quality"
    page.goto(f"{api.url}/search?q=Jones")  # administrators search nobody
    assert "does not search" in page.inner_text("main")
    page.close()


MARKUP = '<a href="https://example.invalid/duty" id="planted">Call the duty team</a>'


def _with_markup_in_the_timeline(route: Route) -> None:
    """The person page as the server sent it, with every event's category replaced by a
    partner's markup (as a category or kind field would carry it from a CSV)."""
    response = route.fetch()
    html = response.text()
    opening = '<script type="application/json" id="chronology-data">'
    start = html.index(opening) + len(opening)
    end = html.index("</script>", start)
    events = json.loads(html[start:end])
    for event in events:
        event["label"] = MARKUP
    planted = json.dumps(events).replace("<", "\\u003c").replace(">", "\\u003e")
    route.fulfill(response=response, body=html[:start] + planted + html[end:])


def test_the_timeline_shows_partner_text_as_text(api: Api, browser: Browser) -> None:
    """A category of `<a href=…>` used to become a live link in every viewer's timeline."""
    someone = _someone(api)
    page = _signed_in(browser, api, "investigator", "timeline markup test", width=1280, csp=True)
    refused: list[str] = []  # what the Content-Security-Policy blocked, if anything
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.route(f"**/people/{someone['id']}", _with_markup_in_the_timeline)
    response = page.goto(f"{api.url}/people/{someone['id']}")
    assert response is not None
    assert "base-uri 'none'" in response.headers["content-security-policy"]
    page.wait_for_selector("#timeline .vis-item")
    assert page.locator("#timeline a").count() == 0
    assert page.locator("#planted").count() == 0
    shown = page.locator("#timeline .vis-item-content").first.inner_text()
    assert shown == MARKUP
    assert refused == []  # the page works under its own policy
    page.close()


FORMULAS = ['=HYPERLINK("https://example.invalid","x")', "+1+2", "-3", "@SUM(1)", "\tTAB"]


def _with_formulas_as_names(route: Route) -> None:
    """The network page as sent, with the people's labels replaced by spreadsheet formulas."""
    response = route.fetch()
    html = response.text()
    opening = '<script type="application/json" id="network-data">'
    start = html.index(opening) + len(opening)
    end = html.index("</script>", start)
    graph = json.loads(html[start:end])
    people = [e for e in graph["elements"] if e["data"].get("kind") == "person"]
    for element, formula in zip(people, itertools.cycle(FORMULAS), strict=False):
        element["data"]["label"] = formula
    planted = json.dumps(graph).replace("<", "\\u003c").replace(">", "\\u003e")
    route.fulfill(response=response, body=html[:start] + planted + html[end:])


def test_the_network_csv_escapes_formulas_as_the_server_does(api: Api, browser: Browser) -> None:
    """The explorer's CSV is built in the browser; it used to quote cells but not escape a
    leading =, +, -, @ or tab, which every server-side CSV does (csv_safe)."""
    start, _middle, _far = _two_steps(api)
    page = _signed_in(browser, api, "investigator", "network csv test", width=1280, csp=True)
    page.route(f"**/network/{start}", _with_formulas_as_names)
    page.goto(f"{api.url}/network/{start}")
    page.wait_for_function("() => window.mastNetwork && window.mastNetwork.nodes().length > 1")
    with page.expect_download() as download:
        page.click("#csv")
    with Path(download.value.path()).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    labels = [r["label"] for r in rows if r["kind"] == "person"]
    assert len(labels) >= 2
    assert all(label in {csv_safe(f) for f in FORMULAS} for label in labels), labels
    assert all(label.startswith("'") for label in labels)
    page.close()


def test_a_deep_link_asks_before_expanding_more_than_a_handful(api: Api, browser: Browser) -> None:
    """`/network/X#expanded=P1,P2,…` made the visitor's browser view every listed person under
    the visitor's name and purpose, without asking."""
    people = [
        r[0]
        for r in api.cypher("MATCH (p:`Person`) RETURN p.person_id ORDER BY p.person_id LIMIT 6")
    ]
    start, others = people[0], people[1:]
    page = _signed_in(browser, api, "investigator", "deep link test", width=1280, csp=True)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/neighbours" in r.url else None)
    page.goto(f"{api.url}/network/{start}#expanded={','.join([start, *others])}")
    page.wait_for_function("() => window.mastNetwork")
    prompt = page.locator("#deep-link")
    assert prompt.is_visible() and "5 more people" in prompt.inner_text()
    before = api.last_seq()
    page.click("#deep-link-skip")
    page.wait_for_timeout(500)
    assert asked == [] and api.last_seq() == before and not prompt.is_visible()
    page.goto(f"{api.url}/search")
    page.goto(f"{api.url}/network/{start}#expanded={','.join(others)}")
    page.click("#deep-link-open")  # asked, and agreed: all five are added
    page.wait_for_function("() => location.hash.split(',').length >= 6")
    assert len(asked) == 5
    asked.clear()
    page.goto(f"{api.url}/search")
    page.goto(
        f"{api.url}/network/{start}#expanded={','.join(others[:3])}"
    )  # a handful: no question
    page.wait_for_function("() => location.hash.split(',').length >= 4")
    assert len(asked) == 3 and not page.locator("#deep-link").is_visible()
    page.close()
