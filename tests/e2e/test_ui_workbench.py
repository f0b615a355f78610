"""The analyst's Cypher workbench in a real browser: a query typed with completion of labels
and properties, run to a table with links into the network explorer, a mistake explained
in plain words with a caret, a query saved and opened again — audited as POST /cypher is,
axe-clean at 1280 and 360 px, usable without JavaScript, and refused to other roles."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e import test_ui
from tests.e2e.test_ui import _shot, _signed_in
from tests.support.api_server import PASSWORD, Api

pytestmark = pytest.mark.integration
PURPOSE = "monthly analysis for the board"


browser = test_ui.browser  # the same chromium fixture, for this module's tests


def _editor(page: Page) -> None:
    """Wait for the editor to take over from the textarea, then empty it."""
    page.wait_for_selector("#wb-cypher-editor")
    page.click("#wb-cypher-editor")
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")


def _pick(page: Page, typed: str, option: str) -> None:
    """Type, wait for the completion list to offer `option`, and take it."""
    page.keyboard.type(typed, delay=20)
    offered = page.locator(".cm-tooltip-autocomplete li", has_text=option).first
    offered.wait_for()
    page.locator(".cm-tooltip-autocomplete li[aria-selected=true]", has_text=option).wait_for()
    page.wait_for_timeout(200)  # CodeMirror takes no Enter in the list's first 75 ms
    page.keyboard.press("Enter")


@pytest.mark.parametrize("width", [1280, 360])
def test_an_analyst_types_cypher_with_completion_and_reads_a_table(
    api: Api, browser: Browser, width: int
) -> None:
    page = _signed_in(browser, api, "analyst", PURPOSE, width=width)
    page.click("header nav a[href='/workbench']")
    page.wait_for_url(re.compile(r"/workbench$"))
    _editor(page)
    _shot(page, f"workbench-{width}")

    # Labels complete after a colon, in backticks; properties after a dot, the label's own.
    page.keyboard.type("MATCH (p", delay=20)
    _pick(page, ":Pers", "`Person`")
    page.keyboard.type(")-[", delay=20)
    _pick(page, ":RESOLV", "`RESOLVES_TO`")
    page.keyboard.type("]-(r) RETURN p.", delay=20)
    page.locator(".cm-tooltip-autocomplete li", has_text="adult_on").first.wait_for()
    assert page.locator(".cm-tooltip-autocomplete li", has_text="occurred_at").count() == 0
    _pick(page, "fam", "family_name")
    page.keyboard.type(", p.person_id ORDER BY p.person_id LIMIT 3", delay=10)
    typed = page.input_value("#wb-cypher")  # the hidden form field follows the editor
    assert typed.startswith(
        "MATCH (p:`Person`)-[:`RESOLVES_TO`]-(r) RETURN p.family_name, p.person_id"
    )
    assert page.locator(".cm-content .tok-keyword, .cm-content span[class^=ͼ]").count() > 0

    before = api.last_seq()
    page.click("#wb-run")
    page.wait_for_selector("table.wb-results tbody tr")
    assert page.locator("[role=alert]").count() == 0
    heads = page.locator("table.wb-results thead th").all_inner_texts()
    assert heads[:2] == ["p.family_name", "p.person_id"]
    ids = page.locator("table.wb-results tbody td:nth-child(2)").all_inner_texts()
    assert len(ids) == 3 and all(re.fullmatch(r"P\d{8,}", i) for i in ids)
    explorer = page.locator("table.wb-results tbody tr").first.locator("a[href^='/network/']")
    assert explorer.get_attribute("href") == f"/network/{ids[0]}"
    # Audited as POST /cypher is: the query, the purpose and every person shown.
    entries = [e for e in api.audited_since(before) if e["operation"] == "cypher"]
    assert len(entries) == 1
    assert entries[0]["username"] == "analyst" and entries[0]["purpose"] == PURPOSE
    assert json.loads(entries[0]["params"])["cypher"] == typed
    assert set(ids) <= set(json.loads(entries[0]["result_ids"]))
    _shot(page, f"workbench-results-{width}")

    # A misspelt property: plain words, a suggestion, and a caret under it — no engine
    # jargon and nothing quoted from the query's values.
    _editor(page)
    page.keyboard.type(
        "MATCH (p:`Person`)\nWHERE p.given_name <> 'Zebedee'\nRETURN p.famly_name", delay=5
    )
    page.keyboard.press("Escape")
    before = api.last_seq()
    page.click("#wb-run")
    alert = page.locator("#wb-error")
    alert.wait_for()
    said = alert.inner_text()
    assert "has no property “famly_name”" in said and "Did you mean “family_name”?" in said
    assert "Line 3, column 10" in said
    assert "Binder" not in said and "exception" not in said.lower() and "Zebedee" not in said
    # The editor selects the misspelt name, ready to be typed over.
    assert page.evaluate("window.getSelection().toString()") == "famly_name"
    caret = page.locator("pre.wb-caret").inner_text().splitlines()
    assert caret[0] == "RETURN p.famly_name" and caret[1] == " " * 9 + "^"
    assert [e["outcome"] for e in api.audited_since(before) if e["operation"] == "cypher"] == [
        "failed"
    ]
    _shot(page, f"workbench-error-{width}")
    page.close()


def test_a_writing_query_is_refused_in_words_and_audited(api: Api, browser: Browser) -> None:
    page = _signed_in(browser, api, "analyst", PURPOSE, width=1280)
    page.goto(f"{api.url}/workbench")
    _editor(page)
    page.keyboard.type("MATCH (p:`Person`) DETACH DELETE p", delay=5)
    before = api.last_seq()
    page.click("#wb-run")
    said = page.locator("#wb-error").inner_text()
    assert "only reads" in said and "DETACH" in said
    refused = [e for e in api.audited_since(before) if e["operation"] == "cypher"]
    assert [e["outcome"] for e in refused] == ["refused"]
    page.close()


def test_an_example_opens_runs_with_its_defaults_and_is_saved_for_the_team(
    api: Api, browser: Browser
) -> None:
    # Under the pages' own Content-Security-Policy: the editor loads and styles itself.
    page = _signed_in(browser, api, "analyst", PURPOSE, width=1280, csp=True)
    page.goto(f"{api.url}/workbench")
    page.click("a[href='/workbench?example=peaks_and_troughs']")
    page.wait_for_selector("#wb-cypher-editor .cm-line")
    assert page.locator("#wb-cypher").is_hidden()
    assert "// @param from datetime = -365d" in page.input_value("#wb-cypher")
    page.click("#wb-run")  # the header's defaults bind $from, $to and $agency_kinds
    page.wait_for_selector("table.wb-results tbody tr")
    heads = page.locator("table.wb-results thead th").all_inner_texts()
    assert heads[:2] == ["week", "agency_kind"]

    before = api.last_seq()
    page.click(".wb-save summary")
    page.fill("#wb-name", "Weekly peaks, police only")
    page.check("input[name=shared]")
    page.fill("#wb-params", "agency_kinds = police")
    page.click("button[formaction='/workbench/save']")
    page.wait_for_url(re.compile(r"/workbench\?saved=\d+$"))
    saved = page.locator(".wb-list a", has_text="Weekly peaks, police only")
    assert saved.count() == 1
    assert page.input_value("#wb-params") == "agency_kinds = police"
    entries = [e for e in api.audited_since(before) if e["operation"] == "workbench-save"]
    assert len(entries) == 1
    assert json.loads(entries[0]["params"])["shared"] is True
    page.click("#wb-run")
    page.wait_for_selector("table.wb-results tbody tr")
    kinds = set(page.locator("table.wb-results tbody td:nth-child(2)").all_inner_texts())
    assert kinds == {"police"}

    before = api.last_seq()
    page.click(".wb-list button:has-text('Delete')")
    page.wait_for_url(re.compile(r"/workbench$"))
    assert page.locator(".wb-list a", has_text="Weekly peaks, police only").count() == 0
    assert [e["operation"] for e in api.audited_since(before)] == ["workbench-delete"]
    page.close()


def test_the_workbench_is_a_plain_form_without_javascript(api: Api, browser: Browser) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{api.url}/login")
    page.fill("#username", "analyst")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.fill("#purpose-text", PURPOSE)
    page.click("main button[type=submit]")
    page.goto(f"{api.url}/workbench")
    assert page.locator("#wb-cypher").is_visible()
    page.fill("#wb-cypher", "MATCH (a:`Agency`) RETURN a.kind AS kind ORDER BY kind LIMIT 2")
    page.click("#wb-run")
    assert page.locator("table.wb-results tbody tr").count() == 2
    context.close()


def test_other_roles_have_no_workbench(api: Api, browser: Browser) -> None:
    page = _signed_in(browser, api, "investigator", "case 12345 network check", width=1280)
    assert page.locator("header nav a[href='/workbench']").count() == 0
    for path in ("/workbench", "/workbench/vocabulary.json", "/workbench?example=open_cases"):
        response = page.goto(f"{api.url}{path}")
        assert response is not None and response.status == 404, path
    token = page.locator("form[action='/logout'] input[name=csrf]").get_attribute("value")
    before = api.last_seq()
    posted = page.request.post(
        f"{api.url}/workbench",
        form={"csrf": token or "", "cypher": "MATCH (p:`Person`) RETURN p.person_id LIMIT 1"},
        headers={"Origin": api.url},
    )
    assert posted.status == 404
    assert "P0" not in posted.text()
    assert [e for e in api.audited_since(before) if e["operation"] == "cypher"] == []
    page.close()


def test_the_workbench_in_welsh(api: Api, browser: Browser) -> None:
    """Headings, hints and the rewritten error in Welsh, `lang="cy"`, axe clean on a phone."""
    page = _signed_in(browser, api, "analyst", PURPOSE, width=360)
    page.goto(f"{api.url}/workbench?lang=cy")
    assert page.get_attribute("html", "lang") == "cy"
    assert page.locator("h1").inner_text() == "Mainc waith Cypher"
    _editor(page)
    page.keyboard.type("MATCH (p:`Person`) RETURN p.famly_name", delay=5)
    page.keyboard.press("Escape")
    page.click("#wb-run")
    said = page.locator("#wb-error").inner_text()
    assert "Ai “family_name” oeddech chi'n ei olygu?" in said
    assert "Llinell 1, colofn 29" in said
    _shot(page, "workbench-error-cy-360")
    page.close()
