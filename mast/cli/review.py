"""`mast review`: the review queue, and a reviewer's rulings on it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mast.cli.common import console, errors, settings
from mast.core import clock
from mast.core.db import open_store

review_app = typer.Typer(help="Pairs of records waiting for a person to decide: link or unlink.")


@review_app.command("list")
def review_list(limit: Annotated[int, typer.Option()] = 50) -> None:
    """Open review items, most at stake first: reported, then open cases, recent activity
    and records that would move; each with the evidence for and against in words."""
    from mast.resolver.review import open_items  # noqa: PLC0415

    with open_store(settings()).connect() as conn:
        items = open_items(conn, limit=limit)
    table = Table("item", "record a", "record b", "weight", "why queued", "at stake and evidence")
    for item in items:
        table.add_row(
            str(item.item_id),
            item.record_a,
            item.record_b,
            f"{item.weight:+.1f}",
            item.reason,
            item.evidence or "",
        )
    console.print(table)


@review_app.command("decide")
def review_decide(
    item: Annotated[int, typer.Argument(help="item number from mast review list")],
    decision: Annotated[str, typer.Argument(help="link | unlink")],
    by: Annotated[str, typer.Option(help="who decides")],
    reason: Annotated[str, typer.Option(help="why")],
) -> None:
    """Rule on a pair: it wins over the model from the next resolve on, in every later run."""
    from mast.resolver.rulings import decide_item  # noqa: PLC0415

    with errors():
        decision_id = decide_item(
            open_store(settings()),
            item,
            decision=decision,
            by=by,
            reason=reason,
            now=clock.now(),
        )
    console.print(f"Ruling {decision_id} stored; it takes effect at the next mast resolve.")


@review_app.command("complete-reported")
def review_complete_reported() -> None:
    """Once after upgrading: records reported and unlinked the old way move at the next resolve."""
    from mast.resolver.rulings import complete_reported_unlinks  # noqa: PLC0415

    done = complete_reported_unlinks(open_store(settings()), now=clock.now())
    console.print(f"{done:,} reported records ruled apart; they move at the next mast resolve.")
