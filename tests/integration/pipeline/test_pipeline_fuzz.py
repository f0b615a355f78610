"""The whole pipeline against random partner files (issue 19): rows of random values in
every canonical field — dates of every year 1–9999 and impossible ones, ages of any text,
Unicode digits, markup, control characters — ingested, resolved, built into the graph and
read back as GraphQL person pages. Nothing may raise, and every row is accounted for.

Each example is one file, ingested into one shared home; resolution and the graph run once
after a first batch of files (a full run) and once after a second (incremental, a delta),
so the slow steps run twice rather than once an example.
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mast.accounts.accounts import Accounts
from mast.core import clock
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.graph.build import refresh
from mast.loaders.feeds import load_feeds
from mast.loaders.ingest import FileResult, ingest_file
from mast.resolver.service import resolve
from mast.schema.records import DATE_FIELDS, DATETIME_FIELDS, MAPPABLE_FIELDS
from mast.schema.tables import persons, quarantine, records
from mast.web.app import create_app
from tests.support.api_server import PASSWORD, PURPOSE, running

pytestmark = pytest.mark.integration

FIELDS = sorted(MAPPABLE_FIELDS)
FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%Y%m%d", "excel"]
FEED = textwrap.dedent(
    """\
    feed: fuzz
    agency: {id: fz, name: Fuzz Partner, kind: childrens_social_care}
    files: ["FUZZ_*.csv"]
    record_id: [id]
    fields:
    """
) + "".join(
    f"  {name}: {{column: {name}"
    + (f", formats: {FORMATS}" if name in DATE_FIELDS | DATETIME_FIELDS else "")
    + "}\n"
    for name in FIELDS
)

# --- values ----------------------------------------------------------------------------------

_DIGITS = {
    "fullwidth": str.maketrans("0123456789", "０１２３４５６７８９"),
    "arabic_indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
    "superscript": str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"),
    "circled": str.maketrans("0123456789", "⓪①②③④⑤⑥⑦⑧⑨"),
}
HOSTILE = [
    "<script>alert(1)</script>",
    '<a href="https://x.test">Call the duty team</a>',
    "[/bold]",
    "[link=https://x.test]x[/link]",
    '=HYPERLINK("https://x.test")',
    "Robert'); DROP TABLE records;--",
    "{{7*7}}",
    "' OR 1=1 --",
    "\x1b[31mred",
    "a\u202eb",
    "\u200b",
    "NULL",
    "",
    " ",
]
# NUL quarantines the whole row, so it comes in one row of some files (`files` below).
any_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)
unicode_digits = st.sampled_from(list(_DIGITS.values()))


def _digits(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """The values, and the same values written in other scripts' digits."""
    return st.one_of(
        strategy, st.tuples(strategy, unicode_digits).map(lambda t: t[0].translate(t[1]))
    )


def _written(day: st.SearchStrategy[datetime]) -> st.SearchStrategy[str]:
    def render(pair: tuple[datetime, str]) -> str:
        moment, fmt = pair
        if fmt == "excel":
            return str((moment - datetime(1899, 12, 30)).days)
        # strftime pads years below 1000 inconsistently across platforms: do it by hand.
        return (
            fmt.replace("%Y", f"{moment.year:04d}")
            .replace("%y", f"{moment.year % 100:02d}")
            .replace("%m", f"{moment.month:02d}")
            .replace("%d", f"{moment.day:02d}")
            .replace("%H", f"{moment.hour:02d}")
            .replace("%M", f"{moment.minute:02d}")
            .replace("%S", f"{moment.second:02d}")
        )

    return st.tuples(day, st.sampled_from(FORMATS)).map(render)


recent = st.datetimes(datetime(2024, 1, 1), datetime(2026, 10, 31))
dates = _digits(
    st.one_of(
        _written(recent),
        _written(recent),  # thrice: most rows should load, so later steps have work
        _written(recent),
        _written(st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31))),
        _written(st.datetimes(datetime(1600, 1, 1), datetime(1950, 1, 1))),
        st.sampled_from(
            [
                "31/02/2024",
                "0000-00-00",
                "29/02/2023",
                "00/00/0000",
                "1700-01-01 00:00:00",
                "0061-01-01",
                "0001-01-01",
                "0100-12-31",
                "9999-12-31",
                "2958465",
                "1",
                "0",
                "1e5",
                "-1",
                "45292.5",
                "99/99/99",
                "01/01/61",
            ]
        ),
        any_text,
    )
)
births = _digits(
    st.one_of(
        _written(st.datetimes(datetime(1930, 1, 1), datetime(2024, 1, 1))),
        _written(st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31))),
        st.sampled_from(["1600-01-01", "01/01/1677", "0021-01-01", "1899-12-31", "31/02/1990"]),
        any_text,
    )
)
ages = _digits(
    st.one_of(
        st.integers(-5, 200).map(str),
        st.sampled_from(["²", "50", "0", "120", "121", "٥٠", "５０", "1.5", "50 years", "-0"]),
        any_text,
    )
)
nhs_numbers = _digits(
    st.one_of(
        st.sampled_from(
            [
                "0000000000",
                "1111111111",
                "9999999999",
                "9434765919",
                "943 476 5919",
                "9990001234",
                "4010232137",
                "9.43E+09",
                "943476591",
                "94347659190",
            ]
        ),
        any_text,
    )
)
given_names = st.one_of(st.sampled_from(["Siân", "John", "Mary", "Ŵyn", "Zoë"]), any_text)
family_names = st.one_of(st.sampled_from(["Jones", "Evans", "O'Brien", "ap Rhys"]), any_text)
postcodes = st.one_of(
    st.sampled_from(["SA1 1AA", "sa11aa", "SA2 9AB", "ZZ99 3VZ", "NFA"]), any_text
)
text = st.one_of(any_text, st.sampled_from(HOSTILE))
SPECIAL: dict[str, st.SearchStrategy[str]] = {
    "occurred_at": dates,
    "dob": births,
    "case_opened": dates,
    "case_closed": dates,
    "age": ages,
    "nhs_number": nhs_numbers,
    "given_name": given_names,
    "family_name": family_names,
    "full_name": st.one_of(
        st.tuples(given_names, family_names).map(" ".join), st.sampled_from(HOSTILE), any_text
    ),
    "postcode": postcodes,
    "uprn": _digits(st.one_of(st.integers(0, 10**13).map(str), any_text)),
    "sex": st.one_of(st.sampled_from(["F", "M", "x", "9", "Female"]), any_text),
    "case_status": st.one_of(st.sampled_from(["Open", "closed", "live"]), any_text),
}
row = st.fixed_dictionaries({name: SPECIAL.get(name, text) for name in FIELDS})
files = st.tuples(st.lists(row, min_size=1, max_size=12), st.booleans()).map(
    lambda t: [*t[0], {**t[0][0], "category": "a\x00b"}] if t[1] else t[0]
)

# --- the pipeline ----------------------------------------------------------------------------


class Pipeline:
    """One home the examples' files go into, in turn."""

    def __init__(self, root: Path) -> None:
        feeds = root / "feeds"
        feeds.mkdir()
        (feeds / "fuzz.yaml").write_text(FEED)
        self.root = root
        self.settings = Settings(home=root / "home", feeds=feeds, workers=1)
        self.engine = open_store(self.settings)
        self.feeds = load_feeds(feeds)
        self.numbers = count(1)
        self.results: list[FileResult] = []
        self.rows = 0

    def ingest(self, rows: list[dict[str, str]]) -> FileResult:
        number = next(self.numbers)
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
        # Ids repeat across files (a later file updates a record) and within one (duplicates);
        # the unmapped `file` column keeps two files of the same rows from being one file.
        writer.writerow(["id", "file", *FIELDS])
        writer.writerows(
            [f"r{(number * 7 + i) % 150}", number, *(r[f] for f in FIELDS)]
            for i, r in enumerate(rows)
        )
        path = self.root / f"FUZZ_{number}.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        result = ingest_file(self.engine, self.settings, path, self.feeds)
        path.unlink()
        self.results.append(result)
        self.rows += len(rows)
        return result

    def resolve_and_build(self) -> None:
        resolve(self.engine, now=clock.now())
        refresh(self.engine, self.settings)

    def stored(self) -> tuple[int, int]:
        with self.engine.connect() as conn:
            return (
                conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one(),
                conn.execute(sa.select(sa.func.count()).select_from(quarantine)).scalar_one(),
            )


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return Pipeline(tmp_path_factory.mktemp("fuzz"))


def _batch(pipeline: Pipeline, examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=timedelta(seconds=30),
        database=None,  # the shared home is state an example database cannot replay
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(files)
    def one_file(rows: list[dict[str, str]]) -> None:
        result = pipeline.ingest(rows)
        assert result.status == "loaded", (result.reject_code, result.reason)
        assert result.rows_in == len(rows)
        assert result.balanced, result

    one_file()


def test_random_files_go_through_every_step(
    pipeline: Pipeline, capfd: pytest.CaptureFixture[str]
) -> None:
    _batch(pipeline, 30)
    pipeline.resolve_and_build()  # full: the first resolution
    _batch(pipeline, 15)
    pipeline.resolve_and_build()  # incremental, and a graph delta

    # Every row is accounted for, file by file and in the store.
    results = pipeline.results
    assert sum(r.rows_in for r in results) == pipeline.rows
    assert all(r.balanced for r in results)
    stored, quarantined = pipeline.stored()
    assert quarantined == sum(r.quarantined for r in results)
    assert stored == sum(r.stored for r in results)  # updates replace, duplicates are skipped
    assert stored > 0, "no random row loaded: the strategies are too hostile to test much"
    assert "Traceback" not in capfd.readouterr().err

    for body in _person_pages(pipeline):
        assert "errors" not in body, body.get("errors")
        assert body["data"]["person"] is not None


PERSON_PAGE = """query($id: ID!) { person(id: $id) {
  id personId givenName familyName otherNames dob sex nhsNumber firstSeen lastSeen
  agencies { agency agencyKind events lastEvent }
  chronology(from: null, to: null, agencies: null, first: 100, after: null) {
    totalCount edges { node { occurredAt agency kind category role ref addressLine recordId } } }
  household(on: null) { person { id } addressLine since until }
  relatives { person { id } kind validFrom validTo }
  openCases { caseId agency kind opened leadName leadPhone leadEmail team }
  addresses { address { id } localAuthority validFrom validTo }
  records { recordId feed givenName familyName dob sex addressText postcode role occurredAt } } }"""


def _person_pages(pipeline: Pipeline) -> Iterator[dict[str, Any]]:
    """Each person's page (up to 40 of them) over real HTTP, as an investigator."""
    accounts = Accounts(pipeline.engine, pipeline.settings)
    accounts.add("fuzz", display_name="Fuzz", role="investigator", agency="test", password=PASSWORD)
    user = accounts.get("fuzz")
    assert user is not None
    token = accounts.issue(user, kind="token", label="fuzz")
    with pipeline.engine.connect() as conn:
        ids = list(
            conn.execute(
                sa.select(persons.c.person_id)
                .where(persons.c.retired_into.is_(None))
                .order_by(persons.c.person_id)
                .limit(40)
            ).scalars()
        )
    assert ids, "no person was resolved from the random rows"
    headers = {"Authorization": f"Bearer {token}", "X-MAST-Purpose": PURPOSE}
    with (
        running(create_app(pipeline.settings)) as url,
        httpx.Client(base_url=url, headers=headers, timeout=60) as client,
    ):
        for person_id in ids:
            response = client.post(
                "/graphql", json={"query": PERSON_PAGE, "variables": {"id": person_id}}
            )
            assert response.status_code == 200, response.status_code
            yield response.json()


def test_the_feed_maps_every_canonical_field() -> None:
    assert {line.split(":")[0].strip() for line in FEED.splitlines()[5:]} == MAPPABLE_FIELDS
