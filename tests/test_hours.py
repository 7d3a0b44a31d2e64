"""Opening hours of the real helpline: open or closed, when it opens next, and how the bot
says so, across weekends, Dutch public holidays and both daylight-saving changes.

Holiday facts are asked of the ``holidays`` library (what the bot itself uses), never assumed.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from bot.hours import opening_state
from bot.knowledge import Helpline, Knowledge
from bot.loader import load_knowledge
from bot.replies import Composer

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    result = load_knowledge()
    assert result.knowledge is not None, "\n".join(str(p) for p in result.errors)
    return result.knowledge


@pytest.fixture(scope="module")
def helpline(knowledge: Knowledge) -> Helpline:
    return knowledge.helpline


@pytest.fixture(scope="module")
def composer(knowledge: Knowledge) -> Composer:
    return Composer(knowledge)


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=AMS)


def utc(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def dutch_holiday(day: date) -> str | None:
    return holidays.country_holidays("NL", years=day.year).get(day)


def test_the_real_helpline_is_what_these_tests_expect(helpline: Helpline) -> None:
    assert helpline.timezone == "Europe/Amsterdam"
    assert helpline.holidays_country == "NL"
    assert helpline.open_days == frozenset(range(5))  # Monday to Friday
    assert (helpline.opens, helpline.closes) == (time(19), time(20))


# -- an ordinary week (23-29 November 2026, no holidays) --------------------------------------


def test_the_ordinary_week_has_no_holidays() -> None:
    for offset in range(7):
        assert dutch_holiday(date(2026, 11, 23) + timedelta(days=offset)) is None


@pytest.mark.parametrize("day", [23, 24, 25, 26, 27])  # Monday to Friday
def test_weekday_before_opening(helpline: Helpline, composer: Composer, day: int) -> None:
    now = local(2026, 11, day, 18, 59, 59)
    state = opening_state(helpline, now)
    assert not state.is_open
    assert state.next_opening == local(2026, 11, day, 19)
    assert state.closes_at is None
    line = composer.opening_line(now)
    assert "vanavond om 19:00" in line
    assert "dicht" in line


@pytest.mark.parametrize(("hh", "mm", "ss"), [(19, 0, 0), (19, 30, 0), (19, 59, 59)])
def test_weekday_while_open(
    helpline: Helpline, composer: Composer, hh: int, mm: int, ss: int
) -> None:
    now = local(2026, 11, 24, hh, mm, ss)
    state = opening_state(helpline, now)
    assert state.is_open
    assert state.closes_at == local(2026, 11, 24, 20)
    assert state.next_opening is None
    line = composer.opening_line(now)
    assert "open" in line
    assert "tot 20:00" in line
    assert "dicht" not in line


def test_exactly_at_closing_time_it_is_closed(helpline: Helpline, composer: Composer) -> None:
    now = local(2026, 11, 24, 20)
    state = opening_state(helpline, now)
    assert not state.is_open
    assert state.next_opening == local(2026, 11, 25, 19)
    assert "morgen om 19:00" in composer.opening_line(now)


@pytest.mark.parametrize("day", [23, 24, 25, 26])  # Monday to Thursday
@pytest.mark.parametrize(("hh", "mm"), [(20, 30), (23, 59)])
def test_after_closing_monday_to_thursday(
    helpline: Helpline, composer: Composer, day: int, hh: int, mm: int
) -> None:
    now = local(2026, 11, day, hh, mm)
    state = opening_state(helpline, now)
    assert not state.is_open
    assert state.next_opening == local(2026, 11, day + 1, 19)
    assert "morgen om 19:00" in composer.opening_line(now)


def test_just_after_midnight_it_opens_tonight(helpline: Helpline, composer: Composer) -> None:
    now = local(2026, 11, 24, 0, 30)  # Tuesday night
    assert opening_state(helpline, now).next_opening == local(2026, 11, 24, 19)
    assert "vanavond om 19:00" in composer.opening_line(now)


@pytest.mark.parametrize(
    "now",
    [
        local(2026, 11, 27, 20, 0),  # Friday at closing time
        local(2026, 11, 27, 22, 15),  # Friday evening
        local(2026, 11, 28, 9),  # Saturday morning
        local(2026, 11, 28, 19, 30),  # Saturday at the usual hour
        local(2026, 11, 29, 12),  # Sunday noon
        local(2026, 11, 29, 23, 59),  # Sunday, last minute
    ],
)
def test_weekend_opens_on_monday(helpline: Helpline, composer: Composer, now: datetime) -> None:
    state = opening_state(helpline, now)
    assert not state.is_open
    assert state.next_opening == local(2026, 11, 30, 19)
    line = composer.opening_line(now)
    if now.weekday() == 6:  # on Sunday, Monday is tomorrow
        assert "morgen om 19:00" in line
    else:
        assert "maandag om 19:00" in line


# -- public holidays ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("holiday", "weekday", "before", "next_opening", "text"),
    [
        # King's Day on a Monday: Sunday's next opening skips it.
        (date(2026, 4, 27), 0, local(2026, 4, 26, 12), local(2026, 4, 28, 19), "dinsdag om 19:00"),
        # Ascension Day, a Thursday: Wednesday evening skips to Friday.
        (
            date(2026, 5, 14),
            3,
            local(2026, 5, 13, 20, 30),
            local(2026, 5, 15, 19),
            "vrijdag om 19:00",
        ),
        # Christmas Day, a Friday (and Boxing Day a Saturday): from Thursday on to Monday.
        (
            date(2026, 12, 25),
            4,
            local(2026, 12, 24, 20, 30),
            local(2026, 12, 28, 19),
            "maandag om 19:00",
        ),
        # New Year's Day 2027, a Friday: the search crosses into the next year.
        (
            date(2027, 1, 1),
            4,
            local(2026, 12, 31, 20, 30),
            local(2027, 1, 4, 19),
            "maandag om 19:00",
        ),
    ],
)
def test_a_holiday_on_a_weekday_is_skipped(
    helpline: Helpline,
    composer: Composer,
    holiday: date,
    weekday: int,
    before: datetime,
    next_opening: datetime,
    text: str,
) -> None:
    assert dutch_holiday(holiday) is not None
    assert holiday.weekday() == weekday
    state = opening_state(helpline, before)
    assert not state.is_open
    assert state.next_opening == next_opening
    assert text in composer.opening_line(before)


@pytest.mark.parametrize("holiday", [date(2026, 4, 27), date(2026, 5, 14), date(2026, 12, 25)])
def test_closed_all_day_on_a_holiday(helpline: Helpline, composer: Composer, holiday: date) -> None:
    assert dutch_holiday(holiday) is not None and holiday.weekday() < 5
    during = datetime.combine(holiday, time(19, 30), AMS)
    state = opening_state(helpline, during)
    assert not state.is_open
    assert state.next_opening is not None
    assert state.next_opening.date() > holiday
    line = composer.opening_line(during)
    assert "dicht" in line and "tot 20:00" not in line


def test_easter_skips_both_good_friday_and_easter_monday(
    helpline: Helpline, composer: Composer
) -> None:
    # Whether Good Friday counts is up to the library; the bot must follow it.
    skipped = [date(2026, 4, 3), date(2026, 4, 6)]
    assert all(dutch_holiday(day) is not None for day in skipped)
    now = local(2026, 4, 2, 20, 30)  # Thursday evening
    assert opening_state(helpline, now).next_opening == local(2026, 4, 7, 19)
    assert "dinsdag om 19:00" in composer.opening_line(now)


def test_a_long_closed_stretch_is_said_with_a_date(knowledge: Knowledge) -> None:
    """Seven days or more ahead the weekday alone is ambiguous: the date is added.

    With the real days no Dutch holiday stretch is that long, so the line is taken to be open
    on Fridays only; Christmas and New Year's Day 2026/27 both fall on a Friday.
    """
    assert dutch_holiday(date(2026, 12, 25)) is not None
    assert dutch_holiday(date(2027, 1, 1)) is not None
    fridays = dataclasses.replace(knowledge.helpline, open_days=frozenset({4}))
    composer = Composer(dataclasses.replace(knowledge, helpline=fridays))
    now = local(2026, 12, 18, 20, 30)
    state = opening_state(fridays, now)
    assert state.next_opening == local(2027, 1, 8, 19)
    assert "vrijdag 8 januari om 19:00" in composer.opening_line(now)
    # Exactly a week ahead is a date as well; six days ahead is a weekday.
    assert "vrijdag 4 december om 19:00" in composer.opening_line(local(2026, 11, 27, 20, 30))
    assert "vrijdag om 19:00" in composer.opening_line(local(2026, 11, 28, 10))


# -- daylight saving time ----------------------------------------------------------------------


def test_the_daylight_saving_dates_of_2026() -> None:
    """Last Sundays of March and October, as the tz database has them."""
    assert date(2026, 3, 29).weekday() == 6 and (date(2026, 3, 29) + timedelta(7)).month == 4
    assert date(2026, 10, 25).weekday() == 6 and (date(2026, 10, 25) + timedelta(7)).month == 11
    assert utc(2026, 3, 29, 0, 59).astimezone(AMS).utcoffset() == timedelta(hours=1)
    assert utc(2026, 3, 29, 1, 0).astimezone(AMS).utcoffset() == timedelta(hours=2)
    assert utc(2026, 10, 25, 0, 59).astimezone(AMS).utcoffset() == timedelta(hours=2)
    assert utc(2026, 10, 25, 1, 0).astimezone(AMS).utcoffset() == timedelta(hours=1)


def test_summer_time_monday_after_the_change(helpline: Helpline, composer: Composer) -> None:
    before = opening_state(helpline, utc(2026, 3, 30, 16, 30))  # 18:30 CEST
    assert not before.is_open
    assert before.next_opening == utc(2026, 3, 30, 17, 0)  # 19:00 local is 17:00 UTC
    assert "vanavond om 19:00" in composer.opening_line(utc(2026, 3, 30, 16, 30))
    during = opening_state(helpline, utc(2026, 3, 30, 17, 30))  # 19:30 CEST
    assert during.is_open
    assert during.closes_at == utc(2026, 3, 30, 18, 0)
    assert "tot 20:00" in composer.opening_line(utc(2026, 3, 30, 17, 30))
    assert not opening_state(helpline, utc(2026, 3, 30, 18, 0)).is_open  # 20:00 CEST


@pytest.mark.parametrize(
    "now",
    [
        utc(2026, 3, 27, 19, 30),  # Friday 20:30 CET, before the change
        utc(2026, 3, 29, 0, 30),  # Sunday 01:30 CET, just before the change
        utc(2026, 3, 29, 1, 30),  # Sunday 03:30 CEST, just after
    ],
)
def test_opening_across_the_spring_change(helpline: Helpline, now: datetime) -> None:
    state = opening_state(helpline, now)
    assert not state.is_open
    assert state.next_opening == utc(2026, 3, 30, 17, 0)
    assert state.next_opening.utcoffset() == timedelta(hours=2)


def test_winter_time_monday_after_the_change(helpline: Helpline, composer: Composer) -> None:
    before = opening_state(helpline, utc(2026, 10, 26, 17, 30))  # 18:30 CET
    assert not before.is_open
    assert before.next_opening == utc(2026, 10, 26, 18, 0)  # 19:00 local is 18:00 UTC
    assert "vanavond om 19:00" in composer.opening_line(utc(2026, 10, 26, 17, 30))
    during = opening_state(helpline, utc(2026, 10, 26, 18, 30))  # 19:30 CET
    assert during.is_open
    assert during.closes_at == utc(2026, 10, 26, 19, 0)
    assert not opening_state(helpline, utc(2026, 10, 26, 19, 0)).is_open  # 20:00 CET
    # The same UTC hour the week before was still summer time: then open from 17:00 UTC.
    assert opening_state(helpline, utc(2026, 10, 19, 17, 30)).is_open


@pytest.mark.parametrize(
    "now",
    [
        utc(2026, 10, 23, 18, 30),  # Friday 20:30 CEST, before the change
        utc(2026, 10, 25, 0, 30),  # Sunday 02:30 CEST, the first 02:30
        utc(2026, 10, 25, 1, 30),  # Sunday 02:30 CET, the second 02:30
    ],
)
def test_opening_across_the_autumn_change(
    helpline: Helpline, composer: Composer, now: datetime
) -> None:
    state = opening_state(helpline, now)
    assert not state.is_open
    assert state.next_opening == utc(2026, 10, 26, 18, 0)
    assert state.next_opening.utcoffset() == timedelta(hours=1)
    expected = "maandag om 19:00" if now.day == 23 else "morgen om 19:00"
    assert expected in composer.opening_line(now)


def test_friday_evening_in_summer_time_is_open_until_18_utc(helpline: Helpline) -> None:
    assert opening_state(helpline, utc(2026, 10, 23, 17, 30)).is_open  # 19:30 CEST
    assert opening_state(helpline, utc(2026, 10, 23, 17, 30)).closes_at == utc(2026, 10, 23, 18)


# -- any time zone in, the same answer out -----------------------------------------------------


@pytest.mark.parametrize(
    "instant",
    [
        local(2026, 11, 24, 0, 30),  # Tuesday in Amsterdam, still Monday in UTC and New York
        local(2026, 11, 24, 19, 30),  # open
        local(2026, 11, 27, 23, 30),  # Friday night: Saturday in Tokyo
        local(2026, 12, 24, 20, 30),  # Christmas Eve
        local(2026, 3, 29, 3, 30),  # just after the spring change
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"])
def test_the_zone_of_now_does_not_matter(
    helpline: Helpline, composer: Composer, instant: datetime, zone: str
) -> None:
    elsewhere = instant.astimezone(ZoneInfo(zone))
    assert elsewhere == instant
    here, there = opening_state(helpline, instant), opening_state(helpline, elsewhere)
    assert (here.is_open, here.closes_at, here.next_opening) == (
        there.is_open,
        there.closes_at,
        there.next_opening,
    )
    assert there.local_now.tzinfo == AMS
    assert composer.opening_line(elsewhere) == composer.opening_line(instant)


def test_a_naive_datetime_is_refused(helpline: Helpline, composer: Composer) -> None:
    naive = datetime(2026, 11, 24, 19, 30)
    with pytest.raises(ValueError):
        opening_state(helpline, naive)
    with pytest.raises(ValueError):
        composer.opening_line(naive)
