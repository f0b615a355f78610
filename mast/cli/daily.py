"""Daily operation's commands: `mast run-daily`, `runs`, `quality`, `partners`, `backup`,
`restore` and `fingerprint`."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mast.cli.common import console, errors, settings, styled
from mast.core.db import open_store
from mast.daily import ledger
from mast.loaders.quality import Delivery, feed_quality, feed_trend
from mast.resolver import match_rates

partners_app = typer.Typer(help="Partners and where their files come from each day.")


def run_daily(
    as_of: Annotated[
        str | None, typer.Option(help="treat this moment as now (YYYY-MM-DD[THH:MM])")
    ] = None,
) -> None:
    """Pull every partner's new files, ingest, purge, resolve, update the graph, count.

    For cron or systemd timers; `mast serve` runs the same job itself at MAST_DAILY_AT.
    """
    from mast.daily.run import DailyJob  # noqa: PLC0415 - loads the engines

    with errors():
        cfg = settings()
        run = DailyJob(cfg, open_store(cfg)).run(
            trigger="manual", now=datetime.fromisoformat(as_of) if as_of else None
        )
    _show_run(run)
    if run.status != "ok":
        raise typer.Exit(1)


def runs(
    limit: Annotated[int, typer.Option(help="how many, newest first")] = 10,
    steps: Annotated[bool, typer.Option("--steps", help="each run's steps too")] = False,
) -> None:
    """The last daily runs: when, how long, and what each did."""
    with errors():
        found = ledger.recent(open_store(settings()), limit)
    if not found:
        console.print("No daily runs yet: `mast run-daily`, or `mast serve` at MAST_DAILY_AT.")
        return
    if steps:
        for run in found:
            _show_run(run)
        return
    table = Table("run", "as of", "trigger", "status", "seconds", "files", "stored", "quarantined")
    for run in found:
        pulled = run.counts("pull")
        table.add_row(
            str(run.run_id),
            run.as_of.isoformat(timespec="minutes"),
            run.trigger,
            run.status,
            "" if run.seconds is None else f"{run.seconds:,.1f}",
            f"{pulled.get('loaded', 0):,}",
            f"{pulled.get('stored', 0):,}",
            f"{pulled.get('quarantined', 0):,}",
        )
    console.print(table)


def _show_run(run: ledger.Run) -> None:
    took = "" if run.seconds is None else f" in {run.seconds:,.1f} s"
    console.print(
        f"Run {run.run_id} ({run.trigger}, as of {run.as_of:%Y-%m-%d %H:%M}): {run.status}{took}"
    )
    table = Table("step", "partner", "status", "seconds", "what it did")
    for s in run.steps:
        did = ", ".join(
            f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}"
            for k, v in s.counts.items()
            if not isinstance(v, list | dict)
        )
        if s.counts.get("nothing_to_resolve"):
            did = "nothing to resolve: no records have been loaded yet"
        table.add_row(s.step, s.partner or "", s.status, f"{s.seconds:,.1f}", s.error or did)
    console.print(table)


def quality(
    feed: Annotated[str, typer.Argument(help="a feed name (`mast feeds list`)")],
    out: Annotated[
        Path | None, typer.Option("--csv", help="write the scorecard to send the partner")
    ] = None,
    last: Annotated[int, typer.Option(help="deliveries in the trend")] = 30,
) -> None:
    """A feed's data-quality scorecard: what arrived, what was kept and why not, the trend."""
    with errors():
        engine = open_store(settings())
        with engine.connect() as conn:
            card = next((q for q in feed_quality(conn, match_rates(conn)) if q.feed == feed), None)
            trend = feed_trend(conn, feed, last)
    if card is None:
        console.print(styled(("error:", "red"), f" no files or records for feed {feed!r}"))
        raise typer.Exit(2)
    summary = {
        "feed": card.feed,
        "records held": card.records,
        "rows quarantined (held)": card.quarantined,
        "top quarantine reasons": "; ".join(f"{c} {n:,}" for c, n in card.top_reasons) or "none",
        "match rate to people other agencies know": f"{card.match_rate:.1%}",
        "missing date of birth": f"{card.missing_dob:.1%}",
        "missing NHS number": f"{card.missing_nhs:.1%}",
        "missing postcode": f"{card.missing_postcode:.1%}",
        "invalid postcode": f"{card.invalid_postcode:.1%}",
        "invalid NHS number": f"{card.invalid_nhs:.1%}",
    }
    table = Table("measure", "value", title=f"Data quality: {feed}")
    for k, v in summary.items():
        table.add_row(k, f"{v:,}" if isinstance(v, int) else str(v))
    console.print(table)
    columns = (
        "received",
        "status",
        "rows in",
        "stored",
        "updated",
        "quarantined",
        "duplicates",
        "no dob",
        "no NHS",
        "no postcode",
    )
    trend_table = Table(*columns, title=f"Last {len(trend)} deliveries")
    for d in trend:
        trend_table.add_row(*_delivery_row(d))
    console.print(trend_table)
    if out is not None:
        _write_scorecard(out, summary, columns, [_delivery_row(d) for d in trend])
        console.print(f"Scorecard written to {out}")


def _delivery_row(d: Delivery) -> list[str]:
    return [
        d.received_at.isoformat(timespec="minutes"),
        d.status,
        str(d.rows_in),
        str(d.stored),
        str(d.updated),
        str(d.quarantined),
        str(d.duplicates),
        f"{d.missing_dob:.1%}",
        f"{d.missing_nhs:.1%}",
        f"{d.missing_postcode:.1%}",
    ]


def _write_scorecard(
    out: Path, summary: dict[str, object], columns: tuple[str, ...], rows: list[list[str]]
) -> None:
    from mast.core.csv_safe import csv_safe  # noqa: PLC0415

    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["measure", "value"])
        for k, v in summary.items():
            writer.writerow([k, csv_safe(str(v))])
        writer.writerow([])
        writer.writerow(columns)
        writer.writerows(rows)


@partners_app.command("check")
def partners_check() -> None:
    """Read the partner configuration and say what each partner pulls from (no connection)."""
    from mast.loaders.partners import load_partners  # noqa: PLC0415

    with errors():
        cfg = settings()
        found = load_partners(cfg.partners_file)
    table = Table("partner", "from", "files", "feed", title=str(cfg.partners_file))
    for p in found:
        where = (
            f"sftp://{p.sftp.user}@{p.sftp.host}:{p.sftp.port}/{p.sftp.remote_dir.lstrip('/')}"
            if p.sftp
            else str(p.folder)
        )
        table.add_row(p.name, where, ", ".join(p.patterns), p.feed or "(by file name)")
    console.print(table)


def backup(
    out: Annotated[Path, typer.Argument(help="a new folder for the backup")],
) -> None:
    """Back up the state store, MAST's own keys and the partner configuration (while MAST runs)."""
    from mast.daily.backup import backup as write_backup  # noqa: PLC0415

    with errors():
        fingerprint = write_backup(settings(), out)
    rows = sum(n for n, _ in fingerprint.values())
    console.print(f"Backed up {len(fingerprint)} tables ({rows:,} rows) to {out}.")


def restore(
    backup_dir: Annotated[Path, typer.Argument(help="a folder `mast backup` wrote")],
) -> None:
    """Restore a backup into an empty MAST_HOME, check it against its fingerprint and audit
    chain, and rebuild the graph from it."""
    from mast.daily.backup import restore as read_backup  # noqa: PLC0415

    with errors():
        done = read_backup(settings(), backup_dir)
    console.print(
        f"Restored {done.tables} tables ({done.rows:,} rows, as the backup's fingerprint); "
        f"audit chain of {done.audit_entries:,} entries verified; graph rebuilt."
    )


def fingerprint() -> None:
    """Rows and a SHA-256 per table of what MAST holds: two homes holding the same match."""
    from mast.daily.fingerprint import state_fingerprint  # noqa: PLC0415

    with errors():
        found = state_fingerprint(open_store(settings()))
    table = Table("table", "rows", "sha256")
    for name, (rows, digest) in sorted(found.items()):
        table.add_row(name, f"{rows:,}", digest)
    console.print(table)
