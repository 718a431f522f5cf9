"""Form bodies: urlencoded (stdlib) and multipart/form-data (python-multipart)."""

from __future__ import annotations

import sys

import pytest

from crlf.semantics.forms import FormPart, parse_multipart, parse_urlencoded

# The seed's POST body (MDN "A typical HTTP session").
SEED_BODY = b"name=Juan%20Garcia&request=Envieme+uno+de+sus+catalogos"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (SEED_BODY, [("name", "Juan Garcia"), ("request", "Envieme uno de sus catalogos")]),
        (b"", []),
        (b"a=", [("a", "")]),
        (b"a=1&a=2", [("a", "1"), ("a", "2")]),
        (b"a=1&", [("a", "1")]),  # a trailing & is tolerated
        (b"caf%C3%A9=cr%C3%A8me", [("caf\xe9", "cr\xe8me")]),
        (b"x=a%26b%3Dc", [("x", "a&b=c")]),
        (b"%2B=+", [("+", " ")]),
    ],
)
def test_parse_urlencoded(body: bytes, fields: list[tuple[str, str]]) -> None:
    assert parse_urlencoded(body) == fields


def test_parse_urlencoded_in_another_encoding() -> None:
    assert parse_urlencoded(b"caf%E9=1", encoding="latin-1") == [("caf\xe9", "1")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"a", "invalid form body"),  # no "="
        (b"a=1&&b=2", "invalid form body"),
        (b"caf\xc3\xa9=1", "not ASCII"),
        (b"caf%E9=1", "does not decode"),
        (b"&".join(b"f%d=1" % i for i in range(1001)), "invalid form body"),
        (b"a=" + b"x" * (1024 * 1024), "larger than"),
    ],
)
def test_parse_urlencoded_rejects(body: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_urlencoded(body)


def test_parse_urlencoded_limits_are_configurable() -> None:
    with pytest.raises(ValueError, match="invalid form body"):
        parse_urlencoded(b"a=1&b=2&c=3", max_fields=2)
    with pytest.raises(ValueError, match="larger than"):
        parse_urlencoded(b"a=1234", max_size=5)


BOUNDARY = "----crlfBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    delimiter = b"--" + boundary.encode()
    return b"".join(delimiter + b"\r\n" + part + b"\r\n" for part in parts) + delimiter + b"--\r\n"


def test_parse_multipart() -> None:
    body = multipart(
        b'Content-Disposition: form-data; name="name"\r\n\r\nJuan Garcia',
        b'Content-Disposition: form-data; name="caf\xc3\xa9"\r\n\r\ncr\xc3\xa8me',
        b'Content-Disposition: form-data; name="upload"; filename="a b.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nline 1\r\nline 2",
        b'Content-Disposition: form-data; name="empty"\r\n\r\n',
    )
    parts = parse_multipart(body, CONTENT_TYPE)
    assert [(p.name, p.data, p.filename, p.content_type) for p in parts] == [
        ("name", b"Juan Garcia", None, None),
        ("caf\xe9", b"cr\xc3\xa8me", None, None),
        ("upload", b"line 1\r\nline 2", "a b.txt", "text/plain"),
        ("empty", b"", None, None),
    ]
    assert parts[1].text() == "cr\xe8me"
    assert parts[2].headers == (
        (b"content-disposition", b'form-data; name="upload"; filename="a b.txt"'),
        (b"content-type", b"text/plain"),
    )


def test_parse_multipart_with_bytes_content_type_and_quoted_boundary() -> None:
    body = multipart(b'Content-Disposition: form-data; name="a"\r\n\r\n1', boundary="x y")
    parts = parse_multipart(body, b'multipart/form-data; boundary="x y"')
    assert parts == [FormPart(name="a", data=b"1", headers=parts[0].headers)]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "text/plain", "not a multipart/form-data"),
        (b"", "multipart/mixed; boundary=x", "not a multipart/form-data"),
        (b"", "multipart/form-data", "without a boundary"),
        (b"", "multipart/form-data; boundary=", "not a multipart/form-data"),
        (b"", 'multipart/form-data; boundary=""', "without a boundary"),
        (b"garbage", CONTENT_TYPE, "malformed multipart body"),
        (
            multipart(b'Content-Disposition: form-data; name="a"\r\n\r\n1')[:-10],
            CONTENT_TYPE,
            "truncated",
        ),
        (multipart(b"Content-Type: text/plain\r\n\r\n1"), CONTENT_TYPE, "Content-Disposition"),
        (
            multipart(b'Content-Disposition: attachment; name="a"\r\n\r\n1'),
            CONTENT_TYPE,
            "Content-Disposition",
        ),
        (
            multipart(b'Content-Disposition: form-data; name="\xff"\r\n\r\n1'),
            CONTENT_TYPE,
            "does not decode",
        ),
    ],
)
def test_parse_multipart_rejects(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_multipart(body, content_type)


def test_parse_multipart_limits_parts() -> None:
    part = b'Content-Disposition: form-data; name="a"\r\n\r\n1'
    assert len(parse_multipart(multipart(part, part), CONTENT_TYPE, max_parts=2)) == 2
    with pytest.raises(ValueError, match="more than 2 form parts"):
        parse_multipart(multipart(part, part, part), CONTENT_TYPE, max_parts=2)


def test_parse_multipart_without_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    # A None entry in sys.modules makes the import fail, as if the package were absent.
    monkeypatch.setitem(sys.modules, "python_multipart", None)
    monkeypatch.setitem(sys.modules, "python_multipart.multipart", None)
    with pytest.raises(ImportError, match=r"pip install 'crlf\[multipart\]'"):
        parse_multipart(b"", CONTENT_TYPE)
