"""Deliberate bugs the tests once let through, each applied alone to a temporary copy of the
tree, with the tests that must now catch it. Prints a table (and rewrites its section of
bench/RESULTS.md with --record); exits 1 if a mutation is missed or the unmutated copy fails.

    PYTHONPATH=$PWD .venv/bin/python bench/mutations.py [--record] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from results import RESULTS, replace_section

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    """pytest arguments: the files or node ids that must fail."""


_READ_PATH = "tests/integration/graph/test_graph.py::test_the_read_path_cannot_write_even_past_the_clause_check"
_HOTSPOTS = "tests/integration/graph/test_graph.py::test_non_residential_hotspots_count_events_as_the_store_does"
_HIGH_CONTACT = (
    "tests/integration/graph/test_graph.py::test_high_contact_people_count_events_as_the_store_does"
)
_POLICY = "tests/integration/api/test_access_policy.py"
_WEEKLY = (
    "tests/integration/graph/test_graph.py::test_weekly_activity_counts_events_as_the_store_does"
)
_ADDRESS = (
    "tests/integration/graph/test_graph.py::test_address_chronology_is_every_event_at_the_address"
)
_BACKENDS = (
    "tests/integration/graph/test_graph.py::test_named_queries_answer_alike_on_every_backend"
)
_TWINS = "tests/unit/resolver/test_resolver_constraints.py::test_twins_stay_apart_at_every_score_short_of_a_partners_own_id"
_FATHER_SON = (
    "tests/unit/resolver/test_resolver_constraints.py::"
    "test_father_and_son_stay_apart_just_short_of_the_weight_that_outweighs_a_birth_date"
)
_LEAVERS = "tests/integration/graph/test_graph.py::test_care_leavers_in_custody_as_the_store_says"

MUTATIONS = (
    Mutation(
        "csv_safe returns its input",
        "mast/core/csv_safe.py",
        """return f"'{text}" if text.startswith(FORMULA_START) else text""",
        "return text",
        ("tests/integration/api/test_csv_exports.py",),
    ),
    Mutation(
        "READ ONLY dropped from LadybugStore.read",
        "mast/graph/ladybug_store.py",
        'conn.execute("BEGIN TRANSACTION READ ONLY")',
        'conn.execute("BEGIN TRANSACTION")',
        (_READ_PATH,),
    ),
    Mutation(
        "practitioners may read records",
        "mast/accounts/access.py",
        '"records": frozenset({"investigator", "reviewer"})',
        '"records": frozenset({"practitioner", "investigator", "reviewer"})',
        (_POLICY,),
    ),
    Mutation(
        "practitioners in a report's @roles",
        "mast/cypher/high_contact_people.cypher",
        "// @roles investigator analyst reviewer",
        "// @roles practitioner investigator analyst reviewer",
        (_POLICY,),
    ),
    Mutation(
        "practitioners see the review queue",
        "mast/accounts/access.py",
        '"review": frozenset({"reviewer"})',
        '"review": frozenset({"reviewer", "practitioner"})',
        (_POLICY,),
    ),
    Mutation(
        "no role check on /audit/unmerged",
        "mast/api/routes_audit.py",
        'may need telling."""\n    require(who.user, "audit")\n',
        'may need telling."""\n',
        (_POLICY,),
    ),
    Mutation(
        "hotspots: residential = true",
        "mast/cypher/non_residential_hotspots.cypher",
        "a.residential = false",
        "a.residential = true",
        (_HOTSPOTS,),
    ),
    Mutation(
        "high contact: events > $min",
        "mast/cypher/high_contact_people.cypher",
        "WHERE events >= $min",
        "WHERE events > $min",
        (_HIGH_CONTACT,),
    ),
    Mutation(
        "a delta leaves changed nodes as they were",
        "mast/graph/ladybug_store.py",
        "for batch in rows.filter(known).to_batches(_BATCH):",
        "for batch in rows.filter(known).to_batches(_BATCH)[:0]:",
        (_BACKENDS,),
    ),
    Mutation(
        "purge keeps a day too many",
        "mast/loaders/purge.py",
        "cutoff = now - timedelta(days=retention_days)",
        "cutoff = now - timedelta(days=retention_days + 1)",
        (
            "tests/integration/cli/test_purge_and_cli.py::test_purge_cuts_within_a_minute_of_the_retention_window",
        ),
    ),
    Mutation(
        "twins joined from a score of 15",
        "mast/resolver/cluster.py",
        "return not (names_agree or shared_id or weight >= PARTNER_ID_WEIGHT)",
        "return not (names_agree or shared_id or weight >= DOB_OUTWEIGHED)",
        (_TWINS,),
    ),
    Mutation(
        "a birth date outweighed from 10",
        "mast/resolver/cluster.py",
        "DOB_OUTWEIGHED = 15.0",
        "DOB_OUTWEIGHED = 10.0",
        (_FATHER_SON,),
    ),
    Mutation(
        "birth dates any years apart on one day agree",
        "mast/resolver/constraints.py",
        "abs(a.year - b.year) in (1, 10)",
        "abs(a.year - b.year) <= 30",
        (_FATHER_SON,),
    ),
    Mutation(
        "weekly activity by day",
        "mast/cypher/weekly_activity.cypher",
        "RETURN e.week AS week",
        "RETURN e.day AS week",
        (_WEEKLY,),
    ),
    Mutation(
        "address chronology: no lower bound",
        "mast/cypher/address_chronology.cypher",
        "WHERE e.occurred_at >= $from AND e.occurred_at < $to",
        "WHERE e.occurred_at < $to",
        (_ADDRESS,),
    ),
    Mutation(
        "care leavers: custody kind matched with case",
        "mast/cypher/care_leavers_in_custody.cypher",
        "WHERE toLower(c.kind) IN $custody_kinds",
        "WHERE c.kind IN $custody_kinds",
        (_LEAVERS,),
    ),
)


def copy_tree(into: Path) -> Path:
    """The committed and staged files of this tree (not .venv, homes or caches)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    tree = into / "tree"
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = tree / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return tree


def run_tests(tree: Path, tests: tuple[str, ...]) -> tuple[bool, float]:
    """Whether the tests passed in `tree`, and how long they took."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
        cwd=tree,
        env={**_env(), "PYTHONPATH": str(tree)},
        capture_output=True,
        check=False,
    )
    return done.returncode == 0, time.monotonic() - started


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def apply(tree: Path, mutation: Mutation) -> str:
    """Apply one mutation; returns the original text to put back."""
    path = tree / mutation.path
    text = path.read_text(encoding="utf-8")
    if text.count(mutation.old) != 1:
        raise SystemExit(f"{mutation.name}: the text to mutate is not in {mutation.path} once")
    path.write_text(text.replace(mutation.old, mutation.new), encoding="utf-8")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="rewrite bench/RESULTS.md")
    parser.add_argument("--only", nargs="*", help="names (substrings) of mutations to run")
    args = parser.parse_args()
    chosen = [m for m in MUTATIONS if not args.only or any(o in m.name for o in args.only)]
    rows = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="mast-mutations-") as scratch:
        tree = copy_tree(Path(scratch))
        every = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
        passed, seconds = run_tests(tree, every)
        rows.append(
            ("(none: the tree as it is)", "all of the below", "pass" if passed else "FAIL", seconds)
        )
        failed |= not passed
        for mutation in chosen:
            original = apply(tree, mutation)
            try:
                passed, seconds = run_tests(tree, mutation.tests)
            finally:
                (tree / mutation.path).write_text(original, encoding="utf-8")
            rows.append(
                (mutation.name, " ".join(mutation.tests), "MISSED" if passed else "caught", seconds)
            )
            failed |= passed
    table = [
        "| mutation | tests | outcome | seconds |",
        "|---|---|---|---:|",
        *(
            f"| {name} | `{tests}` | {outcome} | {seconds:.1f} |"
            for name, tests, outcome, seconds in rows
        ),
    ]
    print("\n".join(table))
    if args.record:
        note = (
            f"`bench/mutations.py` ({datetime.now():%Y-%m-%d %H:%M}): each deliberate bug applied "
            "alone to a copy of the tree; `caught` means the named tests failed."
        )
        replace_section(RESULTS, "mutations", note, ["\n".join(table)])
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
