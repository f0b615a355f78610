"""Move tests/ from one flat folder into unit/<room>/, integration/<room>/, e2e/ and support/.

Run from the repository root, in a clean tree:

    python tools/relayout_tests.py                      # move, fix imports and references
    python tools/relayout_tests.py --map test_x.py=integration/web   # place a new file too
    python tools/relayout_tests.py --dry-run            # say what would move

Where a file goes (the rule, for test files added later):
- e2e/ drives a real browser (Playwright);
- integration/<room>/ starts a server (the API, SFTP, OpenID, Spark), runs `mast` or another
  program as a subprocess, or drives several rooms end to end; `pipeline` is the room for
  files that cross them all (ingest → resolve → graph → API);
- unit/<room>/ everything else: one room's code in process, on real engines (SQLite, DuckDB,
  Ladybug files) where it stores;
- <room> is the room of the code the file is about (core, text, audit, loaders, resolver, graph,
  api, web, daily, cli, demo), or `bench` / `repo` for the repository's tools and files.

It is idempotent: a file already moved stays, and every step runs again over the whole tree,
so running it after merging a branch that added flat tests/test_*.py files (with `--map` for
each) moves them and fixes their imports. It `git mv`s, so history follows each file.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"

MAPPING: dict[str, str] = {
    # e2e: a real browser
    "test_ui.py": "e2e",
    "test_ui_reports.py": "e2e",
    "test_ui_welsh.py": "e2e",
    # integration: servers, subprocesses, several rooms
    "test_access_policy.py": "integration/api",
    "test_api.py": "integration/api",
    "test_api_fuzz.py": "integration/api",
    "test_api_oidc.py": "integration/api",
    "test_audit_api.py": "integration/api",
    "test_csv_exports.py": "integration/api",
    "test_audit_head.py": "integration/audit",
    "test_purge_and_cli.py": "integration/cli",
    "test_postgres.py": "integration/core",
    "test_crash.py": "integration/daily",
    "test_daily.py": "integration/daily",
    "test_demo_ingest.py": "integration/demo",
    "test_second_region.py": "integration/demo",
    "test_cypher_lint.py": "integration/graph",
    "test_graph.py": "integration/graph",
    "test_sources.py": "integration/loaders",
    "test_bounds.py": "integration/pipeline",
    "test_pipeline_fuzz.py": "integration/pipeline",
    "test_dispute_unlink.py": "integration/resolver",
    "test_resolver_people.py": "integration/resolver",
    "test_resolver_record_kinds.py": "integration/resolver",
    "test_resolver_spark.py": "integration/resolver",
    "test_i18n.py": "integration/web",
    "test_person_page.py": "integration/web",
    # unit: one room in process
    "test_audit_trail.py": "unit/api",
    "test_search.py": "unit/api",
    "test_audit_chain.py": "unit/audit",
    "test_bench_error_analysis.py": "unit/bench",
    "test_demo_accounts.py": "unit/cli",
    "test_clock.py": "unit/core",
    "test_gc_paused.py": "unit/core",
    "test_compose.py": "unit/repo",
    "test_cypher_guard.py": "unit/graph",
    "test_graph_access.py": "unit/graph",
    "test_graph_write_path.py": "unit/graph",
    "test_tree_rules.py": "unit/repo",
    "test_cleanse.py": "unit/loaders",
    "test_ingest_files.py": "unit/loaders",
    "test_ingest_properties.py": "unit/loaders",
    "test_resolver_addresses.py": "unit/resolver",
    "test_resolver_addresses_learned.py": "unit/resolver",
    "test_resolver_constraints.py": "unit/resolver",
    "test_resolver_store.py": "unit/resolver",
    "test_network_graph.py": "unit/web",
    "test_report_slices.py": "unit/web",
}
SUPPORT = ("api_server.py", "pg_server.py", "sftp_server.py", "demo_data.py", "crash_kit.py")
"""The kits tests (and bench/) import: tests/support/, imported as `tests.support.<kit>`."""
HARNESS_NAMES = ("TEST_FEED", "HEADER", "GOOD", "Harness", "STORES", "SQLITE_ONLY", "write")
"""What tests imported from conftest.py: moved to tests/support/harness.py (a conftest is
pytest's to import, not a module to import from)."""
HARNESS_HEAD = '''"""A MAST_HOME with a test feed, rows to write it, and the state store legs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from mast.core.db import open_store
from mast.core.settings import Settings
from mast.loaders.feeds import load_feeds
from mast.loaders.ingest import FileResult, ingest_file
from mast.schema.feed import FeedDefinition
from mast.schema.tables import files, quarantine, records
'''
BROWSER_MARKER = (
    "    \"browser: drives a real browser (tests/e2e/; deselect with -m 'not browser')\",\n"
)
TEXT_SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".txt", ".cfg", ".ini", ".sh", ""}


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def place(mapping: dict[str, str], dry_run: bool) -> dict[str, Path]:
    """git mv each flat file to its folder; returns every test module's path by file name."""
    where = {name: TESTS / folder / name for name, folder in sorted(mapping.items())}
    where |= {kit: TESTS / "support" / kit for kit in SUPPORT}
    for name, target in where.items():
        flat = TESTS / name
        if flat.exists() and not target.exists():
            print(f"{flat.relative_to(ROOT)} -> {target.relative_to(ROOT)}")
            if not dry_run:
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    git("mv", str(flat.relative_to(ROOT)), str(target.relative_to(ROOT)))
                except subprocess.CalledProcessError:  # a file git does not track yet
                    flat.rename(target)
    left = sorted(p.name for p in TESTS.glob("test_*.py") if p.name not in mapping)
    if left:
        print("left flat (no mapping; pass --map NAME=FOLDER):", ", ".join(left))
    return where


def packages(dry_run: bool) -> None:
    """An empty __init__.py in tests/ and every folder below: pytest then imports each file
    by its dotted path (tests.unit.loaders.test_cleanse), so two rooms may hold files of one
    name, and the repository root is on sys.path, so `tests.support` imports everywhere."""
    folders = {TESTS}
    for path in TESTS.rglob("*.py"):
        folders |= {f for f in path.parents if TESTS in (f, *f.parents)}
    for folder in sorted(folders):
        if "__pycache__" in folder.parts:
            continue
        init = folder / "__init__.py"
        if not init.exists():
            print(f"new {init.relative_to(ROOT)}")
            if not dry_run:
                init.write_text("")
                git("add", str(init.relative_to(ROOT)))


def harness(dry_run: bool) -> None:
    """Take the ingest harness out of conftest.py into tests/support/harness.py."""
    conftest = TESTS / "conftest.py"
    target = TESTS / "support" / "harness.py"
    text = conftest.read_text(encoding="utf-8")
    if target.exists() or dry_run:
        return
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    spans: list[tuple[int, int]] = []
    body = tree.body
    for i, node in enumerate(body):
        names = []
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names = [node.name]
        if not set(names) & set(HARNESS_NAMES):
            continue
        start = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        end = node.end_lineno or node.lineno
        after = body[i + 1] if i + 1 < len(body) else None
        if (  # an attribute docstring below the assignment goes with it
            isinstance(node, ast.Assign)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            end = after.end_lineno or end
        spans.append((start, end))
    moved = ["".join(lines[a - 1 : b]) for a, b in spans]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(HARNESS_HEAD + "\n" + "\n".join(m.rstrip("\n") + "\n" for m in moved))
    keep = [line for n, line in enumerate(lines, 1) if not any(a <= n <= b for a, b in spans)]
    kept = "".join(keep)
    marker = "import pytest\nimport sqlalchemy as sa\n"
    kept = kept.replace(
        "from mast.schema.tables import files, quarantine, records\n",
        "from mast.schema.tables import files, quarantine, records\n"
        "from tests.support.harness import STORES, TEST_FEED, Harness\n",
        1,
    )
    assert marker in kept  # noqa: S101 - the script's own check of conftest's shape
    conftest.write_text(re.sub(r"\n{4,}", "\n\n\n", kept), encoding="utf-8")
    git("add", str(target.relative_to(ROOT)))


def imports(where: dict[str, Path]) -> None:
    """Imports of the kits, the harness and other test modules, as dotted paths."""
    kits = "|".join(re.escape(k.removesuffix(".py")) for k in SUPPORT)
    dotted = {
        name.removesuffix(".py"): ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
        for name, path in where.items()
        if name.startswith("test_")
    }
    for path in [*TESTS.rglob("*.py"), *(ROOT / "bench").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        new = re.sub(
            rf"^(\s*)from ({kits}) import", r"\1from tests.support.\2 import", text, flags=re.M
        )
        new = re.sub(
            r"^(\s*)from conftest import", r"\1from tests.support.harness import", new, flags=re.M
        )
        for module, package in dotted.items():
            new = re.sub(
                rf"^(\s*)from {module} import",
                rf"\1from {package}.{module} import",
                new,
                flags=re.M,
            )
            new = re.sub(
                rf"^(\s*)import {module}$", rf"\1from {package} import {module}", new, flags=re.M
            )
        if new != text:
            path.write_text(new, encoding="utf-8")


def depths(where: dict[str, Path]) -> None:
    """A moved file finds the repository root as many folders up as it now lies deep."""
    for path in where.values():
        if not path.exists():
            continue
        up = len(path.relative_to(ROOT).parts) - 1
        text = path.read_text(encoding="utf-8")
        new = text.replace("Path(__file__).parent.parent", f"Path(__file__).parents[{up}]")
        new = re.sub(r"(Path\(__file__\)(?:\.resolve\(\))?\.parents)\[1\]", rf"\1[{up}]", new)
        if new != text:
            path.write_text(new, encoding="utf-8")


def conftest_and_config() -> None:
    """Module names are dotted now; markers by folder; bench's crash kit from the root."""
    conftest = TESTS / "conftest.py"
    text = conftest.read_text(encoding="utf-8")
    text = text.replace(
        "metafunc.module.__name__ in API_ON_BOTH_STORES",
        'metafunc.module.__name__.rpartition(".")[2] in API_ON_BOTH_STORES',
    )
    # The hook that marks tests by folder (integration/, e2e/ as browser) was written into
    # conftest.py by this script's first run, which it now holds.
    if "def pytest_collection_modifyitems" not in text:
        print("tests/conftest.py lacks pytest_collection_modifyitems: restore it from history")
    conftest.write_text(text, encoding="utf-8")
    pyproject = ROOT / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    if '"browser:' not in text:
        spark = re.search(r'^    "spark: .*\n', text, flags=re.M)
        assert spark is not None  # noqa: S101 - the script's own check of pyproject's shape
        text = text[: spark.end()] + BROWSER_MARKER + text[spark.end() :]
    text = text.replace(
        '"integration: starts real servers or engines on 127.0.0.1"',
        '"integration: starts servers or programs on 127.0.0.1, or drives several rooms'
        ' (all of tests/integration/)"',
    )
    pyproject.write_text(text, encoding="utf-8")
    crash = ROOT / "bench" / "crash.py"
    text = crash.read_text(encoding="utf-8")
    text = text.replace(
        'sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))',
        "sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.support",
    )
    crash.write_text(text, encoding="utf-8")


def references(where: dict[str, Path]) -> None:
    """`tests/test_x.py` in code, docs and the Makefile names the file where it now is."""
    tracked = [ROOT / p for p in git("ls-files").splitlines()]
    this = Path(__file__).resolve()
    for path in tracked:
        if path == this or path.suffix not in TEXT_SUFFIXES or not path.is_file():
            continue
        if path.name.endswith(".lock") or "node_modules" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        new = text
        for name, target in where.items():
            new = re.sub(
                rf"(?<![\w/.])tests/{re.escape(name)}\b",
                target.relative_to(ROOT).as_posix(),
                new,
            )
        if new != text:
            path.write_text(new, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--map", action="append", default=[], metavar="NAME=FOLDER")
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    mapping = dict(MAPPING)
    for pair in args.map:
        name, _, folder = pair.partition("=")
        mapping[name] = folder.strip("/")
    where = place(mapping, args.dry_run)
    if args.dry_run:
        return 0
    harness(args.dry_run)
    packages(args.dry_run)
    imports(where)
    depths(where)
    conftest_and_config()
    references(where)
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run(
        [str(ruff), "check", "--fix", "--quiet", "tests", "bench"], cwd=ROOT, check=False
    )
    subprocess.run([str(ruff), "format", "--quiet", "tests", "bench"], cwd=ROOT, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
