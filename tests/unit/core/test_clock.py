"""One clock: a test that fixes it fixes what every room records."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from mast.core import clock
from mast.core.db import open_store
from mast.core.settings import Settings
from mast.daily import ledger

AT = datetime(2031, 2, 3, 4, 5, 6)


def test_fixed_holds_now_and_today_and_lets_go() -> None:
    with clock.fixed(AT):
        assert clock.now() == AT
        assert clock.today() == date(2031, 2, 3)
    assert clock.now().year < 2031


def test_the_daily_ledger_reads_the_one_clock(tmp_path: Path) -> None:
    engine = open_store(Settings(home=tmp_path / "home"))
    try:
        with clock.fixed(AT):
            run_id = ledger.start(engine, trigger="manual", as_of=AT)
            ledger.finish(engine, run_id, "ok", 1.0)
        run = ledger.one(engine, run_id)
        assert run.started_at == AT
        assert run.finished_at == AT
    finally:
        engine.dispose()
