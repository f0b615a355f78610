"""The meeting and audit exports in the reader's language, and a date that is not one
refused with a page that says which field and how to write it — never silently dropped,
which would print a chronology for a window nobody asked for."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from mast.core.db import open_store
from mast.schema.tables import persons
from tests.support.api_server import PASSWORD, Api


@contextmanager
def _signed_in(api: Api, role: str) -> Iterator[httpx.Client]:
    with api.client(None, purpose=None) as client:
        signed = {"username": role, "password": PASSWORD, "purpose": "exports test"}
        assert client.post("/auth/login", json=signed).status_code == 200
        yield client


def _someone(api: Api) -> str:
    engine = open_store(api.settings)
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(persons.c.person_id)
            .where(persons.c.records >= 3)
            .order_by(persons.c.person_id)
            .limit(1)
        ).scalar_one()
    engine.dispose()
    return str(found)


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("path", ["", "/chronology/print", "/chronology.csv", "/chronology.pdf"])
def test_a_date_that_is_not_one_is_a_clear_422_in_the_readers_language(api: Api, path: str) -> None:
    person = _someone(api)
    html = {"accept": "text/html"}
    with _signed_in(api, "practitioner") as client:
        bad = client.get(f"/people/{person}{path}", params={"from": "2026-13-01"}, headers=html)
        assert bad.status_code == 422
        assert "From: that is not a date" in bad.text and "dd/mm/yyyy or yyyy-mm-dd" in bad.text
        assert bad.headers["content-type"].startswith("text/html")
        welsh = client.get(
            f"/people/{person}{path}", params={"to": "31/02/2026", "lang": "cy"}, headers=html
        )
        assert welsh.status_code == 422
        assert "Hyd at: nid yw hwnnw’n ddyddiad" in welsh.text and "dd/mm/bbbb" in welsh.text
        # Both forms the page names are taken.
        for day in ("01/06/2025", "2025-06-01"):
            good = client.get(f"/people/{person}{path}", params={"from": day, "lang": "en"})
            assert good.status_code == 200, (day, good.text[:200])


def test_the_chronology_csv_is_in_welsh_when_the_page_is(api: Api) -> None:
    person = _someone(api)
    with _signed_in(api, "practitioner") as client:
        english = _rows(client.get(f"/people/{person}/chronology.csv?lang=en").text)
        welsh = _rows(client.get(f"/people/{person}/chronology.csv?lang=cy").text)
    assert english[0][:3] == ["date", "agency", "reference"]  # unchanged for partners
    assert welsh[0] == [
        "Dyddiad", "Asiantaeth", "Cyfeirnod", "Digwyddiad", "Rôl", "Cyfeiriad", "Hyder",
        "Wedi’i herio",
    ]  # fmt: skip
    assert len(welsh) == len(english) > 1
    # The same events; codes in words: an event kind or role the catalogue has differs.
    assert [r[0] for r in welsh][1:] == [r[0] for r in english][1:]
    assert any(w[3] != e[3] or w[4] != e[4] for w, e in zip(welsh[1:], english[1:], strict=True))


def test_the_report_csv_is_in_welsh_when_the_page_is(api: Api) -> None:
    with _signed_in(api, "analyst") as client:
        asked = {"run": "1", "period": "month", "from": "01/01/2025"}
        english = client.get("/analysis/peaks_and_troughs/csv", params={**asked, "lang": "en"})
        welsh = client.get("/analysis/peaks_and_troughs/csv", params={**asked, "lang": "cy"})
    assert english.status_code == welsh.status_code == 200, welsh.text[:300]
    english_rows, welsh_rows = _rows(english.text), _rows(welsh.text)
    assert english_rows[0] == ["period", "agency_kind", "events"]
    assert welsh_rows[0] == ["cyfnod", "math o asiantaeth", "digwyddiadau"]
    kinds = {r[1] for r in english_rows[1:]}
    assert "police" in kinds
    assert "police" not in {r[1] for r in welsh_rows[1:]}  # 'heddlu', as the page says


def test_the_audit_csv_is_in_welsh_when_the_page_is(api: Api) -> None:
    with api.client("analyst") as analyst:
        assert analyst.get("/reports").status_code == 200
    with _signed_in(api, "auditor") as auditor:
        asked = {"user": "analyst", "action": "reports"}
        english = _rows(auditor.get("/audit-trail.csv", params={**asked, "lang": "en"}).text)
        welsh = _rows(auditor.get("/audit-trail.csv", params={**asked, "lang": "cy"}).text)
    assert english[0][0] == "entry" and english[1][6] == "listed the reports"
    assert welsh[0][:3] == ["Cofnod", "Pryd (UTC)", "Enw defnyddiwr"]
    assert welsh[1][6] != "listed the reports" and welsh[1][7] == "wedi'i gwblhau"
    assert welsh[1][3] != "analyst"  # the role in Welsh words


@pytest.mark.parametrize("path", ["/audit-trail", "/audit-trail.csv"])
def test_the_audit_trail_refuses_a_date_that_is_not_one(api: Api, path: str) -> None:
    with _signed_in(api, "auditor") as auditor:
        bad = auditor.get(path, params={"since": "2026-13-01"}, headers={"accept": "text/html"})
        assert bad.status_code == 422 and "From: that is not a date" in bad.text
        good = auditor.get(path, params={"since": "01/06/2026", "until": "2026-12-31"})
        assert good.status_code == 200
    if path == "/audit-trail":  # the day typed the UK way is the one searched
        assert 'name="since" type="date" value="2026-06-01"' in good.text
