"""The analyst's reports in a real browser: parameters from pick-lists read from the data,
UK dates, a value that matches nothing refused with the values that exist, and a report
sliced by month and local authority as bars, a top-N table and a CSV — axe-clean at 1280
and 360 px, with screenshots in test-artefacts/."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.e2e import test_ui
from tests.e2e.test_ui import _shot, _signed_in
from tests.support.api_server import Api

pytestmark = pytest.mark.integration


browser = test_ui.browser  # the same chromium fixture, for this module's tests


@pytest.mark.parametrize("width", [1280, 360])
def test_an_analyst_slices_a_report_by_month_from_pick_lists(
    api: Api, browser: Browser, width: int
) -> None:
    before = api.last_seq()
    page = _signed_in(browser, api, "analyst", "monthly trends for the board", width=width)
    page.goto(f"{api.url}/analysis/peaks_and_troughs")
    # Kinds of agency are ticked from a list read from the data, in words.
    picks = page.locator("fieldset.picks").first
    assert picks.locator("input[type=checkbox][value=police]").count() == 1
    page.get_by_label("police", exact=True).check()
    page.select_option("#s-period", "month")
    page.select_option("#s-area", "local_authority")
    authority = page.locator("#s-in option").nth(1).get_attribute("value")
    assert authority  # the local authorities, read from the data
    page.select_option("#s-in", authority)
    page.click("main form button[type=submit]")
    page.wait_for_selector("table.sliced tbody tr")
    assert page.locator("[role=alert]").count() == 0
    heads = page.locator("table.sliced thead th").all_inner_texts()
    assert heads == ["period", "area", "agency kind", "events"]
    periods = page.locator("table.sliced tbody tr td:first-child").all_inner_texts()
    assert periods and all(re.fullmatch(r"[A-Z][a-z]{2,3} 20\d\d", p) for p in periods)  # Jun 2026
    assert set(page.locator("table.sliced tbody tr td:nth-child(3)").all_inner_texts()) == {
        "police"
    }
    areas = page.locator("table.sliced tbody tr td:nth-child(2)").all_inner_texts()
    assert set(areas) == {authority}  # narrowed to the one chosen
    assert page.locator("table.top tbody tr").count() >= 1
    assert page.locator("#slice-chart").count() == 1
    page.wait_for_timeout(300)  # the bars' animation
    _shot(page, f"report-sliced-{width}")
    with page.expect_download() as download:
        page.click("text=Download the sliced table (CSV)")
    rows = list(csv.reader(Path(download.value.path()).read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["period", "area", "agency_kind", "events"]
    assert len(rows) == len(periods) + 1 or len(periods) == 500
    # The pick-list's values were read through the audited API, as any read.
    assert any("reportChoices" in str(e.get("detail") or e) for e in api.audited_since(before))
    page.close()


def test_a_uk_date_is_accepted_and_a_value_that_matches_nothing_says_what_exists(
    api: Api, browser: Browser
) -> None:
    page = _signed_in(browser, api, "analyst", "checking the report forms", width=1280)
    # As the UK writes it: no "must be a datetime".
    page.goto(f"{api.url}/analysis/weekly_activity?run=1&from=01%2F06%2F2025")
    page.wait_for_selector("#rows-heading")
    assert page.locator("[role=alert]").count() == 0
    # ...and said back in words, so 1 June is not taken for 6 January unseen.
    assert "1 Jun 2025" in page.locator("#dates-used").inner_text()
    # Weekly rows open as months, not a year of weeks.
    assert page.locator("#s-period").input_value() == "month"
    assert page.locator("table.sliced tbody tr").count() >= 1
    # "SWP" is a police force, not a kind of agency: an error naming the kinds there are,
    # not a silent 0 rows.
    page.goto(f"{api.url}/analysis/high_contact_addresses?run=1&agency_kind=SWP&min=1&max=9")
    alert = page.locator("[role=alert]")
    alert.wait_for()
    said = alert.inner_text()
    assert "Kind of agency" in said and "police" in said and "health" in said
    assert page.locator("#rows-heading").count() == 0
    _shot(page, "report-no-match-1280")
    page.goto(f"{api.url}/analysis/high_contact_addresses?run=1&min=20&max=5")
    assert "nothing could match" in page.locator("[role=alert]").inner_text()
    page.goto(f"{api.url}/analysis/peaks_and_troughs?run=1&in=Atlantis")
    said = page.locator("[role=alert]").inner_text()
    assert "Only in local authority" in said and "Swansea" in said
    # A kind typed in words, any case, is the kind the data holds.
    page.goto(f"{api.url}/analysis/high_contact_addresses?run=1&agency_kind=Police&min=1&max=999")
    page.wait_for_selector("#rows-heading")
    assert page.locator("[role=alert]").count() == 0
    assert page.locator("#p-agency_kind").input_value() == "police"
    # So is a kind named by one of its agencies, as the data names them.
    agency = api.cypher("MATCH (g:`Agency` {kind: 'police'}) RETURN g.name LIMIT 1")[0][0]
    page.goto(f"{api.url}/analysis/high_contact_addresses?run=1&agency_kind={agency}&min=1")
    page.wait_for_selector("#rows-heading")
    assert page.locator("#p-agency_kind").input_value() == "police"
    page.close()
