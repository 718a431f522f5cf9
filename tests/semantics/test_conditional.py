"""Conditional requests (RFC 9110 §13): the evaluation order of §13.2.2 and If-Range (§13.1.5)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from crlf.protocol.headers import Headers
from crlf.semantics.conditional import (
    ETag,
    Outcome,
    Validators,
    evaluate,
    if_range_allows,
    make_etag,
)
from crlf.semantics.dates import format_http_date_bytes

LAST_MODIFIED = 784111777  # Sun, 06 Nov 1994 08:49:37 GMT
LM = format_http_date_bytes(LAST_MODIFIED)
EARLIER = format_http_date_bytes(LAST_MODIFIED - 1)
LATER = format_http_date_bytes(LAST_MODIFIED + 1)
FILE = Validators(etag=ETag("abc"), last_modified=LAST_MODIFIED)
WEAK_FILE = Validators(etag=ETag("abc", weak=True), last_modified=LAST_MODIFIED)
NO_VALIDATORS = Validators()
MISSING = Validators(exists=False)

PROCEED, NOT_MODIFIED, FAILED = Outcome.PROCEED, Outcome.NOT_MODIFIED, Outcome.PRECONDITION_FAILED

CASES: list[tuple[str, bytes, dict[bytes, bytes], Validators, Outcome]] = [
    ("no conditions", b"GET", {}, FILE, PROCEED),
    # If-Match (§13.1.1): strong comparison.
    ("if-match same", b"GET", {b"if-match": b'"abc"'}, FILE, PROCEED),
    ("if-match in list", b"PUT", {b"if-match": b'"x", "abc"'}, FILE, PROCEED),
    ("if-match other", b"GET", {b"if-match": b'"xyz"'}, FILE, FAILED),
    ("if-match weak sent", b"GET", {b"if-match": b'W/"abc"'}, FILE, FAILED),
    ("if-match weak current", b"GET", {b"if-match": b'"abc"'}, WEAK_FILE, FAILED),
    ("if-match star", b"PUT", {b"if-match": b"*"}, FILE, PROCEED),
    ("if-match star missing", b"PUT", {b"if-match": b"*"}, MISSING, FAILED),
    ("if-match no etag", b"GET", {b"if-match": b'"abc"'}, NO_VALIDATORS, FAILED),
    ("if-match garbage", b"GET", {b"if-match": b"abc"}, FILE, FAILED),
    # If-Unmodified-Since (§13.1.4).
    ("ius same", b"GET", {b"if-unmodified-since": LM}, FILE, PROCEED),
    ("ius later", b"GET", {b"if-unmodified-since": LATER}, FILE, PROCEED),
    ("ius earlier", b"PUT", {b"if-unmodified-since": EARLIER}, FILE, FAILED),
    ("ius invalid ignored", b"GET", {b"if-unmodified-since": b"yesterday"}, FILE, PROCEED),
    ("ius no date ignored", b"GET", {b"if-unmodified-since": EARLIER}, NO_VALIDATORS, PROCEED),
    # If-Match makes If-Unmodified-Since ignored (§13.2.2 step 1-2).
    (
        "if-match beats ius",
        b"GET",
        {b"if-match": b'"abc"', b"if-unmodified-since": EARLIER},
        FILE,
        PROCEED,
    ),
    # If-None-Match (§13.1.2): weak comparison; 304 for GET/HEAD, 412 otherwise.
    ("inm same", b"GET", {b"if-none-match": b'"abc"'}, FILE, NOT_MODIFIED),
    ("inm head", b"HEAD", {b"if-none-match": b'"abc"'}, FILE, NOT_MODIFIED),
    ("inm weak sent", b"GET", {b"if-none-match": b'W/"abc"'}, FILE, NOT_MODIFIED),
    ("inm weak current", b"GET", {b"if-none-match": b'"abc"'}, WEAK_FILE, NOT_MODIFIED),
    ("inm list", b"GET", {b"if-none-match": b'"a", W/"abc", "b"'}, FILE, NOT_MODIFIED),
    ("inm other", b"GET", {b"if-none-match": b'"xyz"'}, FILE, PROCEED),
    ("inm put", b"PUT", {b"if-none-match": b'"abc"'}, FILE, FAILED),
    ("inm post", b"POST", {b"if-none-match": b'"abc"'}, FILE, FAILED),
    ("inm lowercase get is not GET", b"get", {b"if-none-match": b'"abc"'}, FILE, FAILED),
    ("inm star", b"GET", {b"if-none-match": b"*"}, FILE, NOT_MODIFIED),
    ("inm star put", b"PUT", {b"if-none-match": b"*"}, FILE, FAILED),
    ("inm star missing", b"PUT", {b"if-none-match": b"*"}, MISSING, PROCEED),
    ("inm no etag", b"GET", {b"if-none-match": b'"abc"'}, NO_VALIDATORS, PROCEED),
    # The W/ prefix is stripped, not the characters " W/" (Starlette's old lstrip bug).
    ("inm W in tag", b"GET", {b"if-none-match": b'"Wabc"'}, FILE, PROCEED),
    (
        "inm tag ending in W",
        b"GET",
        {b"if-none-match": b'W/"W/"'},
        Validators(etag=ETag("W/")),
        NOT_MODIFIED,
    ),
    # If-Modified-Since (§13.1.3): GET and HEAD only.
    ("ims same", b"GET", {b"if-modified-since": LM}, FILE, NOT_MODIFIED),
    ("ims later", b"HEAD", {b"if-modified-since": LATER}, FILE, NOT_MODIFIED),
    ("ims earlier", b"GET", {b"if-modified-since": EARLIER}, FILE, PROCEED),
    ("ims on post ignored", b"POST", {b"if-modified-since": LM}, FILE, PROCEED),
    ("ims invalid ignored", b"GET", {b"if-modified-since": b"x"}, FILE, PROCEED),
    ("ims list ignored", b"GET", {b"if-modified-since": LM + b", " + LM}, FILE, PROCEED),
    ("ims no date ignored", b"GET", {b"if-modified-since": LM}, NO_VALIDATORS, PROCEED),
    (
        "ims rfc850",
        b"GET",
        {b"if-modified-since": b"Sunday, 06-Nov-94 08:49:37 GMT"},
        FILE,
        NOT_MODIFIED,
    ),
    # If-None-Match beats If-Modified-Since (§13.2.2 step 3-4), both ways.
    (
        "inm mismatch beats ims",
        b"GET",
        {b"if-none-match": b'"old"', b"if-modified-since": LATER},
        FILE,
        PROCEED,
    ),
    (
        "inm match with stale ims",
        b"GET",
        {b"if-none-match": b'"abc"', b"if-modified-since": EARLIER},
        FILE,
        NOT_MODIFIED,
    ),
    # Step 1 comes before step 2: a failed If-Match is 412 even if If-None-Match would be 304.
    (
        "if-match before inm",
        b"GET",
        {b"if-match": b'"xyz"', b"if-none-match": b'"abc"'},
        FILE,
        FAILED,
    ),
    (
        "ius before ims",
        b"GET",
        {b"if-unmodified-since": EARLIER, b"if-modified-since": LATER},
        FILE,
        FAILED,
    ),
    (
        "passing if-match then inm",
        b"GET",
        {b"if-match": b'"abc"', b"if-none-match": b'"abc"'},
        FILE,
        NOT_MODIFIED,
    ),
]


@pytest.mark.parametrize(
    ("method", "fields", "validators", "outcome"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_evaluate(
    method: bytes, fields: dict[bytes, bytes], validators: Validators, outcome: Outcome
) -> None:
    # The same answer from a Mapping, a get() callable and a protocol Headers.
    assert evaluate(method, fields, validators) is outcome
    assert evaluate(method, fields.get, validators) is outcome
    headers = Headers([(name.title(), value) for name, value in fields.items()])
    assert evaluate(method, headers, validators) is outcome


def test_repeated_if_none_match_fields_are_combined() -> None:
    headers = Headers([(b"If-None-Match", b'"a"'), (b"If-None-Match", b'"abc"')])
    assert evaluate(b"GET", headers, FILE) is NOT_MODIFIED


def test_repeated_if_modified_since_fields_are_ignored() -> None:
    headers = Headers([(b"If-Modified-Since", LM), (b"If-Modified-Since", LM)])
    assert evaluate(b"GET", headers, FILE) is PROCEED


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (PROCEED, None),
        (NOT_MODIFIED, HTTPStatus.NOT_MODIFIED),
        (FAILED, HTTPStatus.PRECONDITION_FAILED),
    ],
)
def test_outcome_status_code(outcome: Outcome, status: HTTPStatus | None) -> None:
    assert outcome.status_code == status


@pytest.mark.parametrize(
    ("value", "validators", "allowed"),
    [
        (None, FILE, True),  # no If-Range: serve the ranges
        (b'"abc"', FILE, True),
        (b' "abc" ', FILE, True),
        (b'"xyz"', FILE, False),
        (b'W/"abc"', FILE, False),  # a weak tag never matches (strong comparison)
        (b'"abc"', WEAK_FILE, False),
        (b'"abc"', NO_VALIDATORS, False),
        (b'"abc", "xyz"', FILE, False),  # a list is not an entity-tag
        (b'"abc', FILE, False),
        (LM, FILE, True),  # the exact Last-Modified date
        (EARLIER, FILE, False),
        (LATER, FILE, False),  # not "modified since": an exact match is required
        (LM, NO_VALIDATORS, False),
        (b"Sunday, 06-Nov-94 08:49:37 GMT", FILE, True),
        (b"garbage", FILE, False),
        (b"*", FILE, False),
        (b"", FILE, False),
    ],
)
def test_if_range_allows(value: bytes | None, validators: Validators, allowed: bool) -> None:
    assert if_range_allows(value, validators) is allowed


@pytest.mark.parametrize(
    ("size", "mtime_ns", "inode", "tag"),
    [
        (0, 0, None, "0-0"),
        (1024, 1_700_000_000_123_456_789, None, "17979cfe3d85cd15-400"),
        (1024, 1_700_000_000_123_456_789, 42, "2a-17979cfe3d85cd15-400"),
    ],
)
def test_make_etag(size: int, mtime_ns: int, inode: int | None, tag: str) -> None:
    etag = make_etag(size, mtime_ns, inode)
    assert etag == ETag(tag)
    assert not etag.weak


def test_make_etag_changes_with_each_input() -> None:
    base = make_etag(10, 1_000_000_000, 7)
    assert make_etag(11, 1_000_000_000, 7) != base
    assert make_etag(10, 1_000_000_001, 7) != base  # sub-second writes change it
    assert make_etag(10, 1_000_000_000, 8) != base
