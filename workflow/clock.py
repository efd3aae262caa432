"""The one source of "now": real time, or a frozen day for tests and replays."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Clock:
    """`today()` is the local (Asia/Shanghai) calendar day; `now()` the real UTC instant.

    A frozen clock (`frozen_today`) pins the day but still records real time, because
    `recorded_at` must always be the true clock (DESIGN.md, "Time").
    """

    tz: ZoneInfo = SHANGHAI
    frozen_today: date | None = None

    @classmethod
    def from_env(cls, tz: str = "Asia/Shanghai") -> Clock:
        """The clock of a command: UNIONFLOW_TODAY, if set, pins the day."""
        frozen = os.environ.get("UNIONFLOW_TODAY")
        try:
            day = date.fromisoformat(frozen.strip()) if frozen else None
        except ValueError:
            from templates.i18n import _
            from workflow.errors import ConfigError

            raise ConfigError(_("UNIONFLOW_TODAY={value!r} is not a date: use YYYY-MM-DD, or unset it to work on the "
                                "real day").format(value=frozen)) from None
        return cls(tz=ZoneInfo(tz), frozen_today=day)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        if self.frozen_today is not None:
            return self.frozen_today
        return datetime.now(self.tz).date()

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.tz)

    def start_of(self, day: date) -> datetime:
        """The UTC instant at which `day` begins in local time."""
        return datetime.combine(day, time(0), self.tz).astimezone(UTC)

    def advance(self, days: int = 1) -> None:
        self.frozen_today = self.today() + timedelta(days=days)
