"""The `mast` command. Each command parses its options, calls a service and prints the result."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import sqlalchemy as sa
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from mast.cli.common import console, operator, styled
from mast.cli.common import errors as _errors
from mast.cli.common import settings as _settings
from mast.cli.review import review_app
from mast.core import clock
from mast.core.db import keep_private, open_store
from mast.core.settings import Settings
from mast.daily.retention import audited_purge
from mast.loaders import batch
from mast.loaders import ingest as ingest_service
from mast.loaders.feeds import load_definition, load_feeds
from mast.loaders.pull import pull_and_ingest
from mast.loaders.sources import FolderSource, SftpConfig, SftpSource, Source
from mast.schema.feed import event_feeds
from mast.schema.tables import files, quarantine

if TYPE_CHECKING:
    from mast.resolver.service import ResolveRun

app = typer.Typer(
    help="MAST — the Multi-Agency Safeguarding Tracker.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
quarantine_app = typer.Typer(help="Rows that could not be loaded, with file, line and reason.")
feeds_app = typer.Typer(help="Feed definitions: one file per partner extract layout.")
export_app = typer.Typer(help="Write what MAST holds to files.")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(feeds_app, name="feeds")
app.add_typer(review_app, name="review")
app.add_typer(export_app, name="export")
DEMO_PEOPLE = 150_000
_COUNT_COLUMNS = ("rows in", "stored", "updated", "quarantined", "duplicates")


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    debug: Annotated[
        bool,
        typer.Option(
            help="tracebacks of unexpected failures too: they may quote data; not in production"
        ),
    ] = False,
) -> None:
    keep_private()  # MAST_HOME and whatever a command writes into it: 0600 and 0700
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


def _progress_factory(
    progress: Progress,
) -> Callable[[str, int], ingest_service.Progress]:
    def factory(name: str, size: int) -> ingest_service.Progress:
        task = progress.add_task(name[:40], total=size)
        return lambda done: progress.update(task, completed=done)

    return factory


def _files_in(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            )
        elif path.is_file():
            out.append(path)
        else:
            raise typer.BadParameter(f"{path} is not a file or folder")
    return out


def _summary(results: list[ingest_service.FileResult]) -> None:
    table = Table(title="Ingest summary")
    for col in ("file", "feed", "status", *_COUNT_COLUMNS, "balanced"):
        table.add_column(col, justify="left" if col in ("file", "feed", "status") else "right")
    for r in results:
        status = r.status if r.status != "rejected" else f"rejected: {r.reason}"
        table.add_row(
            r.name,
            r.feed or "-",
            status,
            f"{r.rows_in:,}",
            f"{r.stored:,}",
            f"{r.updated:,}",
            f"{r.quarantined:,}",
            f"{r.duplicates:,}",
            "yes" if r.balanced else "NO",
        )
    totals = [
        sum(getattr(r, f) for r in results)
        for f in ("rows_in", "stored", "updated", "quarantined", "duplicates")
    ]
    table.add_row(
        "total",
        "",
        "",
        *(f"{t:,}" for t in totals),
        "yes" if totals[0] == sum(totals[1:]) else "NO",
        style="bold",
    )
    console.print(table)
    reasons: dict[str, int] = {}
    for r in results:
        for code, n in r.quarantine_reasons.items():
            reasons[code] = reasons.get(code, 0) + n
    if reasons:
        console.print(
            "Quarantine reasons: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
        )


def run_ingest(
    settings: Settings, paths: list[Path], feed: str | None
) -> list[ingest_service.FileResult]:
    feeds = load_feeds(settings.feeds)
    with Progress(
        TextColumn("{task.description}", markup=False),  # a partner's file name
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        return batch.ingest_paths(
            settings, paths, feeds, feed_name=feed, progress_factory=_progress_factory(progress)
        )


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files, or folders of files")],
    feed: Annotated[str | None, typer.Option(help="feed name, if file names do not say")] = None,
) -> None:
    """Load partner files: checksum, map, cleanse, validate, store or quarantine every row."""
    with _errors():
        results = run_ingest(_settings(), _files_in(paths), feed)
    _summary(results)
    if any(r.status == "rejected" for r in results):
        raise typer.Exit(1)


@app.command()
def pull(  # noqa: PLR0917 - typer reads options from the signature
    source: Annotated[str, typer.Argument(help="a drop folder, or sftp://user@host:port/dir")],
    key: Annotated[Path | None, typer.Option(help="SSH private key (SFTP)")] = None,
    known_hosts: Annotated[Path | None, typer.Option(help="known_hosts file (SFTP)")] = None,
    pattern: Annotated[list[str] | None, typer.Option(help="file-name patterns")] = None,
    feed: Annotated[str | None, typer.Option()] = None,
    manifest: Annotated[
        bool, typer.Option(help="take only files a *.sha256 manifest lists, byte for byte")
    ] = False,
) -> None:
    """Take new complete files from a drop folder or SFTP server, and ingest them."""
    settings = _settings()
    patterns = tuple(pattern or ["*"])
    src: Source
    if source.startswith("sftp://"):
        url = urlsplit(source)
        if not (url.hostname and url.username and key and known_hosts):
            raise typer.BadParameter(
                "SFTP needs sftp://user@host[:port]/dir, --key and --known-hosts"
            )
        src = SftpSource(
            SftpConfig(
                url.hostname,
                url.port or 22,
                url.username,
                key,
                known_hosts,
                url.path or ".",
                patterns,
                manifest=manifest,
            )
        )
    else:
        src = FolderSource(Path(source), patterns, manifest=manifest)
    with _errors():
        results = pull_and_ingest(
            open_store(settings), settings, src, load_feeds(settings.feeds), feed_name=feed
        )
    _summary(results)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="folder for the extracts and truth/")] = Path(
        "demo-data"
    ),
    people: Annotated[int, typer.Option(min=20)] = DEMO_PEOPLE,
    seed: Annotated[int, typer.Option()] = 2021,
    end: Annotated[str | None, typer.Option(help="last day of the 12 months (YYYY-MM-DD)")] = None,
    region: Annotated[
        str,
        typer.Option(
            help="demo: West Glamorgan, read by the shipped feeds; second: Cwm Taf Morgannwg, "
            "nine other layouts, its feed definitions written to OUT/feeds (use MAST_FEEDS)"
        ),
    ] = "demo",
) -> None:
    """Write a synthetic region: one extract per partner feed plus ground truth."""
    from mast.demo.generate import REGIONS  # noqa: PLC0415 - demo only
    from mast.demo.generate import generate as generate_service  # noqa: PLC0415 - demo only

    if region not in REGIONS:
        raise typer.BadParameter(f"one of {', '.join(REGIONS)}", param_hint="--region")
    last = date.fromisoformat(end) if end else clock.today() - timedelta(days=1)
    result = generate_service(people, seed, out, last, region=region)
    for feed, rows in result.rows.items():
        console.print(f"{feed:<18} {rows:>9,} rows  {result.files[feed].name}")
    console.print(
        f"{result.total_rows:,} rows for {result.people:,} people; truth in {out / 'truth'}"
    )
    if result.feeds is not None:
        console.print(f"feed definitions in {result.feeds}: set MAST_FEEDS={result.feeds}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option()] = Path("demo-data"),
    people: Annotated[int, typer.Option(min=20)] = DEMO_PEOPLE,
    seed: Annotated[int, typer.Option()] = 2021,
) -> None:
    """Generate the demo region and run everything built so far on it."""
    generate(out=out, people=people, seed=seed, end=None, region="demo")
    # The synthetic region's NHS numbers all come from the NHS test range, on purpose.
    settings = _settings().model_copy(update={"trust_test_nhs_numbers": True})
    console.print(f"Ingesting into {settings.home} ...")
    with _errors():
        results = run_ingest(settings, sorted(p for p in out.iterdir() if p.is_file()), None)
    _summary(results)
    from mast.resolver.service import resolve as resolve_service  # noqa: PLC0415 - heavy

    console.print("Resolving addresses and people ...")
    engine = open_store(settings)
    with _errors():
        _resolve_summary(
            resolve_service(
                engine,
                now=clock.now(),
                event_feeds=event_feeds(load_feeds(settings.feeds)),
            )
        )
        console.print("Building the graph ...")
        _graph_summary(engine, settings)
    _headline_figures(settings, json.loads((out / "truth" / "figures.json").read_text()))
    console.print(
        styled(
            "\nTo look at it: ",
            ("make demo", "bold"),
            " makes one account per role and serves the web UI on http://127.0.0.1:8000 (or ",
            ("mast demo-accounts", "bold"),
            ", then ",
            ("MAST_COOKIE_SECURE=false mast serve", "bold"),
            "); partner apps use the API with a token from ",
            ("mast users token NAME --label curl", "bold"),
            " (docs/user-guide.md, docs/api.md).",
        )
    )


def _graph_summary(engine: sa.Engine, settings: Settings, *, full: bool = False) -> None:
    from mast.graph.build import refresh  # noqa: PLC0415 - loads the graph engines

    run = refresh(engine, settings, full=full)
    console.print(
        f"Graph ({run.mode}): {run.counts['Person']:,} people, {run.counts['Address']:,} "
        f"addresses, {run.counts['Event']:,} events, {run.counts['RELATED']:,} family and "
        f"household links; {run.changed:,} rows written or removed in {run.seconds:.1f} s."
    )


def _headline_figures(settings: Settings, truth: dict[str, object]) -> None:
    from mast.demo.figures import headlines  # noqa: PLC0415
    from mast.graph import open_graph  # noqa: PLC0415

    with _errors():
        graph = open_graph(settings)
        try:
            found = headlines(graph, truth, now=clock.now())
        finally:
            graph.close()
    table = Table(
        "headline figure (from the graph's reports)", "graph", "ground truth", "difference"
    )
    for h in found:
        gap = "" if not h.truth else f"{(h.graph - h.truth) / h.truth:+.1%}"
        table.add_row(h.what, f"{h.graph:,}", "" if h.truth is None else f"{h.truth:,}", gap)
    console.print(table)


@app.command()
def purge(
    as_of: Annotated[str | None, typer.Option(help="treat this date as today (YYYY-MM-DD)")] = None,
) -> None:
    """Remove records older than the retention window (open cases are kept) and report it."""
    settings = _settings()
    now = datetime.fromisoformat(as_of) if as_of else clock.now()
    with _errors():
        result = audited_purge(open_store(settings), settings, now=now, by=operator())
    console.print(
        f"Purged before {result.cutoff.date()}: {result.records_removed:,} records, "
        f"{result.quarantine_removed:,} quarantined rows."
    )


@app.command()
def resolve(
    full: Annotated[
        bool, typer.Option("--full", help="re-score and re-cluster everything")
    ] = False,
    retrain: Annotated[
        bool, typer.Option("--retrain", help="learn the model's m and u again (implies --full)")
    ] = False,
    engine_name: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="where a full run scores and clusters people: duckdb or spark "
            "(MAST_LINKAGE_ENGINE; a daily run is always duckdb)",
        ),
    ] = None,
) -> None:
    """Resolve addresses and people: one Address per place, one Person per person, ids stable."""
    from mast.resolver.service import resolve as resolve_service  # noqa: PLC0415 - heavy

    settings = _settings()
    linkage = engine_name or settings.linkage_engine
    if linkage not in ("duckdb", "spark"):
        raise typer.BadParameter("--engine is duckdb or spark")
    with _errors():
        engine = open_store(settings)
        run = resolve_service(
            engine,
            now=clock.now(),
            full=full or retrain,
            retrain=retrain,
            event_feeds=event_feeds(load_feeds(settings.feeds)),
            linkage=linkage,
            spark_master=settings.spark_master,
        )
    if run.nothing_to_resolve:
        console.print("Nothing to resolve: no records have been loaded yet (see mast ingest).")
        return
    _resolve_summary(run)
    with _errors():  # the graph follows every resolve
        _graph_summary(engine, settings)


def _resolve_summary(run: ResolveRun) -> None:
    a, p = run.addresses, run.people
    console.print(
        f"Addresses: {a.records:,} records linked to {a.addresses:,} addresses "
        f"({a.new:,} new, {a.merges:,} merged, {a.splits:,} split) in {a.seconds:.1f} s."
    )
    console.print(
        f"People ({p.mode}{', model trained' if p.trained else ''}): {p.records:,} records "
        f"({p.profiles:,} distinct profiles) → {p.persons:,} persons; {p.new:,} new ids, "
        f"{p.merges:,} merged, {p.splits:,} split; {p.review:,} pairs queued for review; "
        f"{p.seconds:.1f} s."
    )


@app.command()
def explain(record_id: Annotated[str, typer.Argument(help="feed:source record id")]) -> None:
    """Why a record belongs to its person: the plain-language reason and each field's weight."""
    from mast.resolver.explain import explain as explain_service  # noqa: PLC0415

    found = explain_service(open_store(_settings()), record_id)
    if found is None:
        console.print("That record has not been resolved to a person (run mast resolve).")
        raise typer.Exit(1)
    console.print(f"{found.record_id} → person {found.person_id}")
    console.print(f"Why: {found.sentence}")
    if found.weight is not None:
        table = Table("field", "level", "weight")
        for c in found.contributions:
            table.add_row(c.field, c.level, f"{c.weight:+.2f}")
        table.add_row("total", "(with prior and name frequency)", f"{found.weight:+.2f}")
        console.print(table)


@export_app.command("links")
def export_links(out: Annotated[Path, typer.Option(help="CSV file to write")]) -> None:
    """feed, record_id, person_id, address_id for every record."""
    from mast.resolver.export import write_links  # noqa: PLC0415

    written = write_links(open_store(_settings()), out)
    console.print(f"{written:,} records written to {out}")


@app.command("files")
def list_files(limit: Annotated[int, typer.Option()] = 50) -> None:
    """The file ledger: every file received, with its counts or why it was rejected."""
    engine = open_store(_settings())
    table = Table("id", "feed", "name", "status", *_COUNT_COLUMNS, "sha256")
    with engine.connect() as conn:
        for r in conn.execute(sa.select(files).order_by(files.c.file_id.desc()).limit(limit)):
            table.add_row(
                str(r.file_id),
                r.feed,
                r.name,
                r.status if r.status != "rejected" else f"rejected ({r.reject_code})",
                f"{r.rows_in:,}",
                f"{r.stored:,}",
                f"{r.updated:,}",
                f"{r.quarantined:,}",
                f"{r.duplicates:,}",
                r.sha256[:12],
            )
    console.print(table)


@quarantine_app.command("list")
def quarantine_list(
    feed: Annotated[str | None, typer.Option()] = None,
    file_id: Annotated[int | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 50,
    show_values: Annotated[
        bool, typer.Option(help="also print the row's values (personal data)")
    ] = False,
) -> None:
    """Quarantined rows: file, line and reason."""
    engine = open_store(_settings())
    query = sa.select(quarantine, files.c.name).join(files, files.c.file_id == quarantine.c.file_id)
    if feed:
        query = query.where(quarantine.c.feed == feed)
    if file_id:
        query = query.where(quarantine.c.file_id == file_id)
    table = Table("file", "line", "reason code", "reason", *(["values"] if show_values else []))
    with engine.connect() as conn:
        for r in conn.execute(query.order_by(quarantine.c.quarantine_id).limit(limit)):
            table.add_row(
                f"{r.file_id} {r.name}",
                str(r.line_no),
                r.reason_code,
                r.reason,
                *([r.fields] if show_values else []),
            )
    console.print(table)


@feeds_app.command("list")
def feeds_list() -> None:
    """The feed definitions in MAST_FEEDS and the file names each one takes."""
    with _errors():
        feeds = load_feeds(_settings().feeds)
    table = Table("feed", "agency", "kind", "files")
    for f in feeds.values():
        table.add_row(f.feed, f.agency.name, f.agency.kind, ", ".join(f.files))
    console.print(table)


@feeds_app.command("check")
def feeds_check(path: Path) -> None:
    """Validate one feed definition file and say what is wrong with it."""
    with _errors():
        definition = load_definition(path)
    console.print(
        f"{path.name}: feed {definition.feed!r} is valid "
        f"({len(definition.fields)} fields, files {', '.join(definition.files)})"
    )


def _register_graph_commands() -> None:
    from mast.cli.graph import cypher, graph_app, report  # noqa: PLC0415

    app.add_typer(graph_app, name="graph")
    app.command()(report)
    app.command()(cypher)


_register_graph_commands()


def _register_api_commands() -> None:
    from mast.cli.api import audit_app, export_person, serve, users_app  # noqa: PLC0415

    app.command()(serve)
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")
    export_app.command("person")(export_person)


_register_api_commands()


def _register_demo_commands() -> None:
    from mast.cli.demo import demo_accounts  # noqa: PLC0415

    app.command("demo-accounts")(demo_accounts)


_register_demo_commands()


def _register_daily_commands() -> None:
    from mast.cli.daily import (  # noqa: PLC0415
        backup,
        fingerprint,
        partners_app,
        quality,
        restore,
        run_daily,
        runs,
    )

    app.command("run-daily")(run_daily)
    app.command()(runs)
    app.command()(quality)
    app.command()(backup)
    app.command()(restore)
    app.command()(fingerprint)
    app.add_typer(partners_app, name="partners")


_register_daily_commands()
