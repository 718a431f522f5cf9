"""Status codes, reason phrases, classes and status lines (RFC 9110 §15)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from crlf.semantics.status import (
    REASON_PHRASES,
    STATUS_LINES,
    StatusClass,
    reason_phrase,
    status_class,
    status_line,
)


@pytest.mark.parametrize(
    ("code", "phrase"),
    [
        (100, b"Continue"),
        (200, b"OK"),
        (206, b"Partial Content"),
        (301, b"Moved Permanently"),
        (304, b"Not Modified"),
        (404, b"Not Found"),
        (412, b"Precondition Failed"),
        (413, b"Content Too Large"),  # RFC 9110 name, not HTTPStatus's "Request Entity Too Large"
        (414, b"URI Too Long"),
        (416, b"Range Not Satisfiable"),
        (422, b"Unprocessable Content"),
        (431, b"Request Header Fields Too Large"),
        (505, b"HTTP Version Not Supported"),
        (299, b""),  # unregistered: empty phrase (RFC 9112 §4)
        (999, b""),
        (0, b""),
    ],
)
def test_reason_phrase(code: int, phrase: bytes) -> None:
    assert reason_phrase(code) == phrase


@pytest.mark.parametrize(
    ("code", "klass"),
    [
        (100, StatusClass.INFORMATIONAL),
        (199, StatusClass.INFORMATIONAL),
        (200, StatusClass.SUCCESSFUL),
        (299, StatusClass.SUCCESSFUL),
        (301, StatusClass.REDIRECTION),
        (404, StatusClass.CLIENT_ERROR),
        (499, StatusClass.CLIENT_ERROR),
        (500, StatusClass.SERVER_ERROR),
        (599, StatusClass.SERVER_ERROR),
    ],
)
def test_status_class(code: int, klass: StatusClass) -> None:
    assert status_class(code) is klass


@pytest.mark.parametrize("code", [-1, 0, 99, 600, 1000])
def test_status_class_rejects_out_of_range(code: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        status_class(code)


def test_the_five_classes_of_the_seed() -> None:
    assert [c.name for c in StatusClass] == [
        "INFORMATIONAL",
        "SUCCESSFUL",
        "REDIRECTION",
        "CLIENT_ERROR",
        "SERVER_ERROR",
    ]


def test_status_lines_are_prebuilt_for_every_known_code() -> None:
    assert STATUS_LINES[200] == b"HTTP/1.1 200 OK\r\n"
    assert STATUS_LINES[404] == b"HTTP/1.1 404 Not Found\r\n"
    assert set(STATUS_LINES) == set(REASON_PHRASES)
    for code, line in STATUS_LINES.items():
        assert line == b"HTTP/1.1 %d %s\r\n" % (code, REASON_PHRASES[code])


def test_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        STATUS_LINES[200] = b"x"  # type: ignore[index]


def test_every_stdlib_status_has_a_phrase() -> None:
    # Python's HTTPStatus lists the IANA codes; crlf knows all of them that are not "(Unused)".
    missing = [s.value for s in HTTPStatus if s.value != 418 and not reason_phrase(s.value)]
    assert missing == []


@pytest.mark.parametrize(
    ("code", "reason", "line"),
    [
        (200, None, b"HTTP/1.1 200 OK\r\n"),
        (299, None, b"HTTP/1.1 299 \r\n"),
        (200, b"Fine", b"HTTP/1.1 200 Fine\r\n"),
        (404, b"Nicht\tGefunden \xe9", b"HTTP/1.1 404 Nicht\tGefunden \xe9\r\n"),
        (200, b"", b"HTTP/1.1 200 \r\n"),
    ],
)
def test_status_line(code: int, reason: bytes | None, line: bytes) -> None:
    assert status_line(code, reason) == line


@pytest.mark.parametrize(
    ("code", "reason"),
    [(600, None), (99, b"x"), (200, b"OK\r\nSet-Cookie: x"), (200, b"a\x00"), (200, b"\x7f")],
)
def test_status_line_rejects(code: int, reason: bytes | None) -> None:
    with pytest.raises(ValueError, match=r"status code|control"):
        status_line(code, reason)
