"""The daily run on a clock: APScheduler 3 inside `mast serve`.

One job, fired at MAST_DAILY_AT in MAST_TIMEZONE, or every so many minutes
(MAST_SCHEDULE=every 15 minutes), so files partners drop are picked up within minutes; a
run with nothing new is over in well under a second, and the purge still runs once a day
(`mast.daily.run`). A run missed while the server was down runs once when it comes back
(within a day's grace); runs never overlap (APScheduler's one instance, and the run's own
lock against `mast run-daily` from cron).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from mast.core.errors import MastError, RunInProgress
from mast.core.settings import Settings
from mast.daily.ledger import Run
from mast.daily.run import DailyJob

log = logging.getLogger(__name__)
_GRACE_S = 23 * 3600


def daily_trigger(settings: Settings) -> BaseTrigger:
    """Every MAST_SCHEDULE minutes, if an interval is set; else daily at MAST_DAILY_AT."""
    zone = ZoneInfo(settings.timezone)
    if settings.schedule.every_minutes is not None:
        return IntervalTrigger(minutes=settings.schedule.every_minutes, timezone=zone)
    hour, minute = (int(part) for part in settings.daily_at.split(":"))
    return CronTrigger(hour=hour, minute=minute, timezone=zone)


class DailySchedule:
    """Owns the background scheduler and its one job."""

    def __init__(self, job: DailyJob) -> None:
        self.job = job
        self.last: Run | None = None
        self._running = threading.Lock()
        self.scheduler = BackgroundScheduler(timezone=ZoneInfo(job.settings.timezone))
        self.scheduler.add_job(
            self._fire,
            daily_trigger(job.settings),
            id="daily",
            name="daily run",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=_GRACE_S,
        )

    def start(self) -> None:
        self.scheduler.start()
        log.info("daily run scheduled next=%s", self.next_run())

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)

    def next_run(self) -> datetime | None:
        job = self.scheduler.get_job("daily")
        return job.next_run_time if job else None

    def run_soon(self) -> bool:
        """Start a run now, in the background (an administrator asked); False if one is on."""
        if self._running.locked():
            return False
        threading.Thread(target=self._fire, args=("manual",), daemon=True).start()
        return True

    def _fire(self, trigger: str = "schedule") -> None:
        if not self._running.acquire(blocking=False):
            log.warning("daily run skipped: one is already under way in this process")
            return
        try:
            self.last = self.job.run(trigger=trigger)
        except RunInProgress:
            log.warning("daily run skipped: another run holds the lock")
        except MastError as e:
            log.error("daily run could not start: %s", e)
        finally:
            self._running.release()
