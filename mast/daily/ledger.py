"""The record of daily runs: one row a run, one a step, with counts and no personal data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from mast.core import clock
from mast.schema.tables import run_steps, runs


@dataclass(frozen=True)
class Step:
    step: str
    partner: str | None
    status: str
    seconds: float
    counts: dict[str, Any]
    error: str | None = None


@dataclass(frozen=True)
class Run:
    run_id: int
    trigger: str
    as_of: datetime
    started_at: datetime
    finished_at: datetime | None
    status: str
    seconds: float | None
    steps: list[Step] = field(default_factory=list)

    def counts(self, step: str) -> dict[str, Any]:
        """The counts of every `step` step, added up (a pull's, over partners)."""
        total: dict[str, Any] = {}
        for s in self.steps:
            if s.step == step:
                for k, v in s.counts.items():
                    total[k] = total.get(k, 0) + v if isinstance(v, int | float) else v
        return total


def interrupt_unfinished(engine: sa.Engine) -> int:
    """Runs still 'running' when the lock is free died with their process."""
    with engine.begin() as conn:
        return conn.execute(
            runs.update()
            .where(runs.c.status == "running")
            .values(status="interrupted", finished_at=clock.now())
        ).rowcount


def start(engine: sa.Engine, *, trigger: str, as_of: datetime) -> int:
    with engine.begin() as conn:
        return int(
            conn.execute(
                runs.insert()
                .values(trigger=trigger, as_of=as_of, started_at=clock.now(), status="running")
                .returning(runs.c.run_id)
            ).scalar_one()
        )


def add_step(engine: sa.Engine, run_id: int, step: Step) -> None:
    with engine.begin() as conn:
        seq = conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(run_steps.c.seq), 0) + 1).where(
                run_steps.c.run_id == run_id
            )
        ).scalar_one()
        conn.execute(
            run_steps.insert().values(
                run_id=run_id,
                seq=seq,
                step=step.step,
                partner=step.partner,
                status=step.status,
                seconds=round(step.seconds, 3),
                counts=json.dumps(step.counts, sort_keys=True, default=str),
                error=step.error,
            )
        )


def finish(engine: sa.Engine, run_id: int, status: str, seconds: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            runs.update()
            .where(runs.c.run_id == run_id)
            .values(status=status, finished_at=clock.now(), seconds=round(seconds, 3))
        )


def recent(
    engine: sa.Engine, limit: int = 30, *, where: sa.ColumnElement[bool] | None = None
) -> list[Run]:
    """The last `limit` runs (of those `where` picks), newest first, each with its steps."""
    query = sa.select(runs).order_by(runs.c.run_id.desc()).limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(query if where is None else query.where(where)).all()
        ids = [r.run_id for r in rows]
        steps: dict[int, list[Step]] = {i: [] for i in ids}
        if ids:
            for s in conn.execute(
                sa.select(run_steps)
                .where(run_steps.c.run_id.in_(ids))
                .order_by(run_steps.c.run_id, run_steps.c.seq)
            ):
                steps[s.run_id].append(
                    Step(s.step, s.partner, s.status, s.seconds, json.loads(s.counts), s.error)
                )
    return [
        Run(
            r.run_id,
            r.trigger,
            r.as_of,
            r.started_at,
            r.finished_at,
            r.status,
            r.seconds,
            steps[r.run_id],
        )
        for r in rows
    ]


def one(engine: sa.Engine, run_id: int) -> Run:
    return recent(engine, 1, where=runs.c.run_id == run_id)[0]


def previous(engine: sa.Engine, run_id: int) -> Run | None:
    """The run before this one, if any."""
    found = recent(engine, 1, where=runs.c.run_id < run_id)
    return found[0] if found else None


def last_good(engine: sa.Engine) -> Run | None:
    """The newest run that finished with every step done (ok) or all but a partner (partial)."""
    found = recent(engine, 1, where=runs.c.status.in_(("ok", "partial")))
    return found[0] if found else None
