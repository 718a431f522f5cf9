"""HTTP-date formatting and parsing (RFC 9110 §5.6.7)."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crlf.semantics.dates import format_http_date, format_http_date_bytes, parse_http_date

# RFC 9110 §5.6.7's own example, in its three forms: 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
RFC_EXAMPLE = 784111777
# Five years of seconds are enough to check two-digit years against a clock.
NOW_2026 = 1795000000  # 2026-11-18


@pytest.mark.parametrize(
    ("timestamp", "formatted"),
    [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (RFC_EXAMPLE, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (RFC_EXAMPLE + 0.999, "Sun, 06 Nov 1994 08:49:37 GMT"),  # fractions truncated
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        (-0.5, "Wed, 31 Dec 1969 23:59:59 GMT"),  # floor, not towards zero
        (951782400, "Tue, 29 Feb 2000 00:00:00 GMT"),  # a leap day of a 400-year leap year
        (4107542400, "Mon, 01 Mar 2100 00:00:00 GMT"),  # 2100 is not a leap year
        (253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"),
        (-62135596800, "Mon, 01 Jan 0001 00:00:00 GMT"),
    ],
)
def test_format_http_date(timestamp: float, formatted: str) -> None:
    assert format_http_date(timestamp) == formatted
    assert format_http_date_bytes(timestamp) == formatted.encode()


@pytest.mark.parametrize(
    "timestamp", [float("nan"), float("inf"), -float("inf"), 253402300800, -62135596801, 1e300]
)
def test_format_http_date_rejects(timestamp: float) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        format_http_date(timestamp)


@given(st.integers(min_value=-62135596800, max_value=253402300799))  # years 0001..9999
def test_format_agrees_with_the_stdlib(timestamp: int) -> None:
    when = datetime.fromtimestamp(timestamp, UTC)
    expected = when.strftime(f"%a, %d %b {when.year:04d} %H:%M:%S GMT")
    if timestamp >= 0:
        assert email.utils.formatdate(timestamp, usegmt=True) == expected
    assert format_http_date(timestamp) == expected
    assert parse_http_date(format_http_date(timestamp)) == timestamp


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # The three forms of RFC 9110 §5.6.7.
        (b"Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE),
        (b"Sunday, 06-Nov-94 08:49:37 GMT", RFC_EXAMPLE),
        (b"Sun Nov  6 08:49:37 1994", RFC_EXAMPLE),
        ("Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE),  # str accepted
        (b"  Sun, 06 Nov 1994 08:49:37 GMT\t", RFC_EXAMPLE),  # OWS around the value
        (b"Sun Nov 16 08:49:37 1994", RFC_EXAMPLE + 10 * 86400),  # asctime with 2-digit day
        (b"Thu, 01 Jan 1970 00:00:00 GMT", 0),
        (b"Wed, 31 Dec 1969 23:59:59 GMT", -1),
        (b"Tue, 29 Feb 2000 00:00:00 GMT", 951782400),
        (b"Wed, 31 Dec 2008 23:59:60 GMT", 1230768000),  # leap second = next minute's first
        (b"Mon, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE),  # a wrong day name is not checked
        # Two-digit years without a clock: POSIX pivot 69.
        (b"Thursday, 01-Jan-70 00:00:00 GMT", 0),
        (b"Wednesday, 31-Dec-69 23:59:59 GMT", -1),
        (b"Saturday, 01-Jan-00 00:00:00 GMT", 946684800),
        (b"Sunday, 01-Jan-68 00:00:00 GMT", 3092601600),
    ],
)
def test_parse_http_date(value: bytes | str, expected: int) -> None:
    assert parse_http_date(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"garbage",
        b"sun, 06 nov 1994 08:49:37 gmt",  # HTTP-date is case sensitive
        b"Sun, 06 Nov 1994 08:49:37 UTC",
        b"Sun, 06 Nov 1994 08:49:37 +0000",
        b"Sun, 6 Nov 1994 08:49:37 GMT",  # IMF-fixdate day is 2DIGIT
        b"Sun, 06 Nov 94 08:49:37 GMT",
        b"Sun, 06 Nov 1994 8:49:37 GMT",
        b"Sun,  06 Nov 1994 08:49:37 GMT",
        b"Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",  # a list is invalid
        b"Sun, 06 Nov 1994 08:49:37 GMTx",
        b"Sun, 31 Nov 1994 08:49:37 GMT",  # November has 30 days
        b"Sun, 29 Feb 1900 08:49:37 GMT",  # 1900 is not a leap year
        b"Sun, 00 Nov 1994 08:49:37 GMT",
        b"Sun, 06 Nov 1994 24:00:00 GMT",
        b"Sun, 06 Nov 1994 08:60:00 GMT",
        b"Sun, 06 Nov 1994 08:49:61 GMT",
        b"Sun, 06 Foo 1994 08:49:37 GMT",
        b"Son, 06 Nov 1994 08:49:37 GMT",
        b"Sun, 06 Nov 1994 08:49:37 GMT".replace(b"1994", "\uff11\uff19\uff19\uff14".encode()),
        "Sun, 06 Nov \uff11\uff19\uff19\uff14 08:49:37 GMT",  # non-ASCII digits in str
        b"Sun, 06-Nov-94 08:49:37 GMT",  # RFC 850 needs the long day name
        b"Sunday, 06-Nov-1994 08:49:37 GMT",
        b"Sun Nov 6 08:49:37 1994",  # asctime pads a 1-digit day with a space
        b"Sun Nov  6 08:49:37 94",
    ],
)
def test_parse_http_date_rejects(value: bytes | str) -> None:
    assert parse_http_date(value) is None


@pytest.mark.parametrize(
    ("value", "now", "year"),
    [
        # RFC 9110 §5.6.7: more than 50 years in the future -> the previous century.
        (b"Sunday, 06-Nov-94 08:49:37 GMT", NOW_2026, 1994),
        (b"Sunday, 06-Nov-76 08:49:37 GMT", NOW_2026, 2076),  # exactly 50 years ahead: kept
        (b"Sunday, 06-Nov-77 08:49:37 GMT", NOW_2026, 1977),
        (b"Sunday, 06-Nov-26 08:49:37 GMT", NOW_2026, 2026),
        (b"Sunday, 06-Nov-00 08:49:37 GMT", NOW_2026, 2000),
        (b"Sunday, 06-Nov-69 08:49:37 GMT", 0, 1969),  # with a clock in 1970
        (b"Sunday, 06-Nov-21 08:49:37 GMT", 0, 1921),  # 2021 would be 51 years ahead
        (b"Sunday, 06-Nov-20 08:49:37 GMT", 0, 2020),  # 50 years ahead: kept
        (b"Sunday, 06-Nov-21 08:49:37 GMT", 631152000, 2021),  # in 1990: 31 years ahead
        (b"Sunday, 06-Nov-19 08:49:37 GMT", 0, 2019),
    ],
)
def test_two_digit_years_with_a_clock(value: bytes, now: float, year: int) -> None:
    parsed = parse_http_date(value, now=now)
    assert parsed is not None
    assert datetime.fromtimestamp(parsed, UTC).year == year
