"""The network explorer's view in its address: a shared link, opened signed out, is the
same view after sign-in and the purpose prompt (filters, people expanded, a connection),
and changing a filter changes the address (issue 22, item 1: deep links)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser
from pypdf import PdfReader

from tests.e2e import test_ui
from tests.e2e.test_ui import ARTEFACTS, _shot, _signed_in, _two_steps
from tests.support.api_server import PASSWORD, Api

pytestmark = pytest.mark.integration


browser = test_ui.browser  # the same chromium fixture, for this module's tests


def test_a_shared_view_survives_sign_in(api: Api, browser: Browser) -> None:
    start, middle, far = _two_steps(api)
    view = (
        f"/network/{start}?expanded={start},{middle}&kinds=household,parent,sibling,partner,stated"
        f"&from=2000-01-01&to=2026-10-31"
    )
    page = browser.new_page(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page.goto(api.url + view)  # signed out: to the sign-in page
    assert urlsplit(page.url).path == "/login"
    page.fill("#username", "investigator")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#purpose-text", "deep link after sign-in")
    page.click("main button[type=submit]")
    page.wait_for_url(f"**/network/{start}?*")
    page.wait_for_function(  # the middle person's links added: the address says so
        "id => window.mastNetwork && window.mastNetwork.getElementById(id).nonempty()"
        " && (new URLSearchParams(location.search).get('expanded') || '').includes(',')",
        arg=far,
    )
    ticked = page.eval_on_selector_all("#kinds input:checked", "xs => xs.map(x => x.value)")
    assert sorted(ticked) == ["household", "parent", "partner", "sibling", "stated"]
    assert page.input_value("#event-from") == "2000-01-01"
    assert page.input_value("#event-to") == "2026-10-31"
    shown = page.evaluate(
        "() => window.mastNetwork.edges().filter(e => e.style('display') !== 'none')"
        ".map(e => e.data('kind'))"
    )
    assert shown and not {"incident", "address"} & set(shown)
    state = parse_qs(urlsplit(page.url).query)
    assert set(state["expanded"][0].split(",")) == {start, middle}
    _shot(page, "network-deep-link-1280")

    page.uncheck("#kinds input[value=stated]")  # a change of view is in the address at once
    state = parse_qs(urlsplit(page.url).query)
    assert state["kinds"] == ["household,parent,sibling,partner"]
    assert "kinds=household,parent,sibling,partner" in page.url  # readable, to share
    page.close()


def test_a_shared_connection_is_drawn_again(api: Api, browser: Browser) -> None:
    start, _middle, far = _two_steps(api)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{api.url}/network/{start}?with={far}")
    page.fill("#username", "investigator")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#purpose-text", "deep link to a connection")
    page.click("main button[type=submit]")
    page.wait_for_selector("#path:not([hidden])")
    assert page.locator("#path-steps li").count() >= 1
    assert parse_qs(urlsplit(page.url).query)["with"] == [far]
    page.close()


def test_pin_hide_and_undo_in_the_drawing_and_the_list(api: Api, browser: Browser) -> None:
    start, middle, _far = _two_steps(api)
    page = _signed_in(browser, api, "investigator", "pin hide undo", width=1280)
    page.goto(f"{api.url}/network/{start}")
    page.wait_for_function("() => window.mastNetwork && window.mastNetwork.nodes().length > 1")
    node = f"window.mastNetwork.getElementById('{middle}')"
    page.evaluate(f"() => {node}.select()")
    page.click("#pin")
    assert page.evaluate(f"() => {node}.locked()")
    page.click("#dismiss")
    assert page.evaluate(f"() => {node}.empty()")
    assert parse_qs(urlsplit(page.url).query)["hide"] == [middle]
    assert page.locator(f"#network-list li[data-id='{middle}']").count() == 0
    page.click("#undo")  # the hidden person is back, still pinned
    assert page.evaluate(f"() => {node}.nonempty() && {node}.locked()")
    assert "hide" not in parse_qs(urlsplit(page.url).query)
    page.keyboard.press("Control+z")  # and unpinned
    assert not page.evaluate(f"() => {node}.locked()")
    assert page.locator("#undo").is_disabled()
    _shot(page, "network-pin-hide-undo-1280")

    # The list is the explorer on a phone: hide from it, undo from the toolbar.
    page.set_viewport_size({"width": 360, "height": 900})
    page.click(f"#network-list button.hide-one[data-hide='{middle}']")
    assert page.locator(f"#network-list li[data-id='{middle}']").count() == 0
    page.click("#undo")
    assert page.locator(f"#network-list li[data-id='{middle}']").count() == 1
    _shot(page, "network-pin-hide-undo-360")
    page.close()


def test_a_shared_view_hides_again_who_was_hidden(api: Api, browser: Browser) -> None:
    start, middle, _far = _two_steps(api)
    page = _signed_in(browser, api, "investigator", "hidden in a link", width=1280)
    page.goto(f"{api.url}/network/{start}?hide={middle}")
    page.wait_for_function("() => new URLSearchParams(location.search).get('hide')")
    assert page.evaluate(f"() => window.mastNetwork.getElementById('{middle}').empty()")
    assert page.locator("#undo").is_disabled()  # the link's view is where undo starts
    page.close()


def test_the_time_slider_shows_the_links_as_they_stood(api: Api, browser: Browser) -> None:
    start, _middle, _far = _two_steps(api)
    page = _signed_in(browser, api, "investigator", "time slider", width=1280)
    page.goto(f"{api.url}/network/{start}")
    page.wait_for_function("() => window.mastNetwork && window.mastNetwork.nodes().length > 1")
    drawn = "() => window.mastNetwork.edges().filter(e => e.style('display') !== 'none').length"
    everything = page.evaluate(drawn)
    assert page.input_value("#event-to") == ""  # at the newest day: nothing filtered
    page.fill("#time", "0")  # back to the first day anything drawn happened
    first = page.input_value("#event-to")
    assert first and page.locator("#time-day").inner_text() == first
    assert page.evaluate(drawn) < everything
    assert parse_qs(urlsplit(page.url).query)["to"] == [first]
    page.fill("#time", page.get_attribute("#time", "max") or "0")
    assert page.input_value("#event-to") == "" and page.evaluate(drawn) == everything
    _shot(page, "network-time-slider-1280")
    page.close()


def test_the_pdf_has_title_key_date_purpose_printer_and_marking(api: Api, browser: Browser) -> None:
    start, _middle, _far = _two_steps(api)
    page = _signed_in(browser, api, "investigator", "PDF for strategy meeting 7", width=1280)
    page.goto(f"{api.url}/network/{start}")
    page.wait_for_function("() => window.mastNetwork && window.mastNetwork.nodes().length > 1")
    drawn = set(
        page.evaluate("() => window.mastNetwork.nodes('[kind = \"person\"]').map(n => n.id())")
    )
    before = api.last_seq()
    with page.expect_download() as download:
        page.click("#pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(download.value.path()).pages)
    title = page.locator("h1").inner_text()
    assert title in text
    assert text.count("OFFICIAL-SENSITIVE") >= 2  # top and foot
    assert "PDF for strategy meeting 7" in text and "Test investigator" in text
    assert "Key" in text and "household" in text
    [entry] = [e for e in api.audited_since(before) if e["operation"] == "network-export"]
    assert json.loads(entry["params"])["form"] == "pdf"
    assert set(json.loads(entry["result_ids"])) == drawn
    ARTEFACTS.mkdir(exist_ok=True)
    download.value.save_as(ARTEFACTS / "network.pdf")

    # Something that is not a picture is refused, and nothing is audited.
    before = api.last_seq()
    refused = page.evaluate(
        """id => fetch("/network/" + id + "/pdf", {method: "POST", credentials: "same-origin",
             headers: {"Content-Type": "application/json", "X-CSRF-Token":
               JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]},
             body: JSON.stringify({ids: [id], kinds: [],
               picture: "data:image/png;base64,bm90IGFuIGltYWdl"})}).then(r => r.status)""",
        start,
    )
    assert refused == 400 and api.last_seq() == before
    page.close()
