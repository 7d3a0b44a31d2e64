"""Is the helpline open now, and if not, when does it open next?

Time is always passed in, so this is testable without clocks; all reasoning happens in the
helpline's own time zone, which keeps it right across daylight-saving changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# Asking the holidays library for one country imports the rules of every country (about a
# tenth of a second). Importing them with the other imports puts that at the start of the
# process instead of in the first referral after a start.
import holidays.countries

from bot.knowledge import Helpline

_SEARCH_DAYS = 31


@dataclass(frozen=True)
class OpeningState:
    is_open: bool
    local_now: datetime
    closes_at: datetime | None  # when open
    next_opening: datetime | None  # when closed


@lru_cache(maxsize=16)
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def is_holiday(helpline: Helpline, day: date) -> bool:
    return day in _holidays(helpline.holidays_country, day.year)


def _open_on(helpline: Helpline, day: date) -> bool:
    return day.weekday() in helpline.open_days and not is_holiday(helpline, day)


def opening_state(helpline: Helpline, now: datetime) -> OpeningState:
    """``now`` must be timezone-aware (any zone)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(helpline.timezone)
    local = now.astimezone(zone)
    today = local.date()
    if _open_on(helpline, today) and helpline.opens <= local.time() < helpline.closes:
        closes = datetime.combine(today, helpline.closes, tzinfo=zone)
        return OpeningState(True, local, closes, None)
    first = today if local.time() < helpline.opens else today + timedelta(days=1)
    for offset in range(_SEARCH_DAYS):
        day = first + timedelta(days=offset)
        if _open_on(helpline, day):
            return OpeningState(False, local, None, datetime.combine(day, helpline.opens, zone))
    return OpeningState(False, local, None, None)
