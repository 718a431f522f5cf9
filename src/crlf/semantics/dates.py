"""HTTP dates: format IMF-fixdate, parse all three HTTP-date forms (RFC 9110 §5.6.7).

Senders generate only IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``). Recipients of a
timestamp field (Date, Last-Modified, If-Modified-Since, If-Unmodified-Since, If-Range,
Retry-After, Expires) must also accept the two obsolete forms, RFC 850
(``Sunday, 06-Nov-94 08:49:37 GMT``) and ANSI C asctime (``Sun Nov  6 08:49:37 1994``).

Formatting goes through :mod:`datetime` in UTC (its C calendar is the fastest way). Parsing does
its calendar arithmetic on integers (the proleptic Gregorian algorithms of Howard Hinnant's
"chrono-Compatible Low-Level Date Algorithms"): no time zone database, and a leap second
(``:60``) counts the way POSIX time does, as the first second of the next minute. Nothing here reads a clock: the
caller passes timestamps in, and ``now`` where the two-digit-year rule needs one.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

__all__ = ["format_http_date", "format_http_date_bytes", "parse_http_date"]

_DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")  # index 0 = Sunday
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name.encode(): number for number, name in enumerate(_MONTH_NAMES, start=1)}
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SECONDS_PER_DAY = 86400

_DAY = rb"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_DAY_LONG = rb"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = rb"(\d\d):(\d\d):(\d\d)"  # bytes patterns: \d is ASCII digits only
# RFC 9110 §5.6.7: IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT; date1 = day SP month SP year
_IMF_FIXDATE = re.compile(_DAY + rb", (\d\d) " + _MONTH + rb" (\d{4}) " + _TIME + rb" GMT")
# rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT; date2 = day "-" month "-" 2DIGIT
_RFC850_DATE = re.compile(_DAY_LONG + rb", (\d\d)-" + _MONTH + rb"-(\d\d) " + _TIME + rb" GMT")
# asctime-date = day-name SP date3 SP time-of-day SP year; date3 = month SP ( 2DIGIT / ( SP DIGIT ))
_ASCTIME_DATE = re.compile(_DAY + rb" " + _MONTH + rb" ( \d|\d\d) " + _TIME + rb" (\d{4})")

# Without a clock, two-digit years use the POSIX strptime pivot: 00-68 -> 20xx, 69-99 -> 19xx.
_TWO_DIGIT_PIVOT = 69


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """(year, month, day) of a day count since 1970-01-01 (Hinnant's civil_from_days)."""
    days += 719468
    era = days // 146097
    day_of_era = days - era * 146097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    mp = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return year_of_era + era * 400 + (month <= 2), month, day


def format_http_date(timestamp: float) -> str:
    """Format a POSIX timestamp as an IMF-fixdate, the only form senders may generate.

    RFC 9110 §5.6.7: ``Sun, 06 Nov 1994 08:49:37 GMT``, always UTC ("GMT"), fractions of a
    second truncated towards the past (a Last-Modified must not be later than the change).

    Args:
        timestamp: seconds since the epoch (for instance ``os.stat().st_mtime`` or the server's
            clock).

    Returns:
        The date as ``str``.

    Raises:
        ValueError: the timestamp is not finite or its year is outside 1..9999 (IMF-fixdate
            has a four-digit year).
    """
    if not math.isfinite(timestamp):
        raise ValueError(f"timestamp is not finite: {timestamp!r}")
    try:
        # datetime's C calendar is faster here than integer arithmetic in Python.
        when = datetime.fromtimestamp(math.floor(timestamp), UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"timestamp out of the range of years 1..9999: {timestamp!r}") from None
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (  # noqa: UP031 - %-format is the fastest
        _DAY_NAMES[when.isoweekday() % 7],
        when.day,
        _MONTH_NAMES[when.month - 1],
        when.year,
        when.hour,
        when.minute,
        when.second,
    )


def format_http_date_bytes(timestamp: float) -> bytes:
    """:func:`format_http_date` as ASCII bytes, ready for a header value.

    Args:
        timestamp: seconds since the epoch.

    Returns:
        For example ``b"Sun, 06 Nov 1994 08:49:37 GMT"``.

    Raises:
        ValueError: as :func:`format_http_date`.
    """
    return format_http_date(timestamp).encode("ascii")


def _two_digit_year(yy: int, now: float | None) -> int:
    """The full year of an RFC 850 two-digit year (RFC 9110 §5.6.7)."""
    if now is None:
        return (1900 if yy >= _TWO_DIGIT_PIVOT else 2000) + yy
    # RFC 9110 §5.6.7: "MUST interpret a timestamp that appears to be more than 50 years in the
    # future as representing the most recent year in the past that had the same last two digits."
    this_year = _civil_from_days(math.floor(now) // _SECONDS_PER_DAY)[0]
    # Otherwise the year with those digits nearest ahead: in 1990, "21" is 2021, not 1921.
    year = this_year - this_year % 100 + yy
    if year > this_year + 50:
        year -= 100
    elif year <= this_year - 50:
        year += 100
    return year


def parse_http_date(value: bytes | str, *, now: float | None = None) -> int | None:
    """Parse an HTTP-date in any of its three forms (RFC 9110 §5.6.7).

    The grammar is matched exactly, case included ("HTTP-date is case sensitive"); only the
    surrounding spaces and tabs are dropped (OWS around a field value, RFC 9110 §5.5). The day
    name is checked for syntax but not against the date, as most recipients do (Go, Python's
    :mod:`email.utils`): it is redundant, and a mismatch tells nothing a cache could use.

    Two-digit years (RFC 850 form): with ``now``, the RFC's rule applies: the year with those
    last two digits within 50 years ahead of ``now``, else the most recent one in the past. Without ``now``, the
    POSIX pivot: 69-99 are 1969-1999, 00-68 are 2000-2068.

    Args:
        value: the field value, bytes or str.
        now: the current time in seconds since the epoch, for the two-digit-year rule only.

    Returns:
        Seconds since the epoch, or ``None`` when the value is not a valid HTTP-date (which makes
        conditional fields be ignored, RFC 9110 §13.1.3-§13.1.4). A list of dates is not valid.
    """
    if isinstance(value, str):
        try:
            value = value.encode("ascii")
        except UnicodeEncodeError:
            return None
    value = value.strip(b" \t")
    match = _IMF_FIXDATE.fullmatch(value)
    if match is not None:
        day_s, month_s, year_s, hour_s, minute_s, second_s = match.groups()
        year = int(year_s)
    else:
        match = _RFC850_DATE.fullmatch(value)
        if match is not None:
            day_s, month_s, year_s, hour_s, minute_s, second_s = match.groups()
            year = _two_digit_year(int(year_s), now)
        else:
            match = _ASCTIME_DATE.fullmatch(value)
            if match is None:
                return None
            month_s, day_s, hour_s, minute_s, second_s, year_s = match.groups()
            year = int(year_s)
    month = _MONTHS[month_s]
    day = int(day_s)  # " 6" in asctime: int() ignores the leading space
    hour, minute, second = int(hour_s), int(minute_s), int(second_s)
    days_in_month = 29 if month == 2 and _is_leap(year) else _DAYS_IN_MONTH[month - 1]
    # RFC 5322 §3.3 ranges, as RFC 9110 §5.6.7 defers to: second 60 is a leap second.
    if not (1 <= day <= days_in_month and hour <= 23 and minute <= 59 and second <= 60):
        return None
    days = _days_from_civil(year, month, day)
    return days * _SECONDS_PER_DAY + hour * 3600 + minute * 60 + second
