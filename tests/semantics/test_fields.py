"""Field-value helpers (RFC 9110 §5.6): lists, tokens, quoted strings, parameters, q-values."""

from __future__ import annotations

from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crlf.semantics import ETag
from crlf.semantics.fields import (
    is_token,
    parse_etag_list,
    parse_media_type,
    parse_parameters,
    parse_weighted,
    quote_string,
    split_list,
    unquote_string,
)


@pytest.mark.parametrize(
    ("value", "elements"),
    [
        (b"", []),
        (b"a", [b"a"]),
        (b"a,b", [b"a", b"b"]),
        (b" a , b ", [b"a", b"b"]),
        (b"a, , b,,", [b"a", b"b"]),  # §5.6.1: empty elements are accepted and dropped
        (b",\t,", []),
        (b'a, "b,c", d', [b"a", b'"b,c"', b"d"]),
        (b'x;q="1,2", y', [b'x;q="1,2"', b"y"]),
        (b'"a\\"b,c", d', [b'"a\\"b,c"', b"d"]),  # escaped quote inside the quoted string
        (b'a, "unterminated, b', [b"a", b'"unterminated, b']),
        (b'"", a', [b'""', b"a"]),
        (b'a,"b"', [b"a", b'"b"']),
    ],
)
def test_split_list(value: bytes, elements: list[bytes]) -> None:
    assert split_list(value) == elements


@given(st.lists(st.from_regex(rb"[a-z0-9=;/]{1,8}", fullmatch=True), max_size=6))
def test_split_list_round_trips_tokens(elements: list[bytes]) -> None:
    assert split_list(b" , ".join(elements)) == elements


@pytest.mark.parametrize(
    ("value", "token"),
    [
        (b"gzip", True),
        (b"x-custom!#$%&'*+-.^_`|~09AZaz", True),
        (b"", False),
        (b"a b", False),
        (b"a/b", False),
        (b'"a"', False),
        (b"a;", False),
        (b"\xe9", False),
    ],
)
def test_is_token(value: bytes, token: bool) -> None:
    assert is_token(value) is token


@pytest.mark.parametrize(
    ("raw", "quoted"),
    [
        (b"", b'""'),
        (b"abc", b'"abc"'),
        (b'say "hi"', b'"say \\"hi\\""'),
        (b"back\\slash", b'"back\\\\slash"'),
        (b"tab\there \xe9", b'"tab\there \xe9"'),
    ],
)
def test_quote_and_unquote(raw: bytes, quoted: bytes) -> None:
    assert quote_string(raw) == quoted
    assert unquote_string(quoted) == raw


@pytest.mark.parametrize("raw", [b"a\r\nb", b"\x00", b"\x7f", b"\x1f"])
def test_quote_string_rejects_controls(raw: bytes) -> None:
    with pytest.raises(ValueError, match="control"):
        quote_string(raw)


@given(st.binary().filter(lambda b: not any((c < 32 and c != 9) or c == 127 for c in b)))
def test_quote_round_trips(raw: bytes) -> None:
    assert unquote_string(quote_string(raw)) == raw


@pytest.mark.parametrize(
    ("value", "result"),
    [
        (b"token", b"token"),  # not quoted: unchanged
        (b'"a\\bc"', b"abc"),  # a quoted-pair may escape any VCHAR
    ],
)
def test_unquote_string(value: bytes, result: bytes) -> None:
    assert unquote_string(value) == result


@pytest.mark.parametrize("value", [b'"', b'"abc', b'"a"b"', b'"a\\"', b'"a\nb"'])
def test_unquote_string_rejects(value: bytes) -> None:
    with pytest.raises(ValueError, match="quoted-string"):
        unquote_string(value)


@pytest.mark.parametrize(
    ("value", "params"),
    [
        (b"", {}),
        (b"  ", {}),
        (b";a=1", {b"a": b"1"}),
        (b' ; A=1 ;b="x y" ', {b"a": b"1", b"b": b"x y"}),
        (b";a=1;a=2", {b"a": b"1"}),  # the first occurrence wins
        (b";;a=1;", {b"a": b"1"}),  # empty parameters are allowed by the grammar
        (b';a="q\\"uote"', {b"a": b'q"uote'}),
        (b';a=""', {b"a": b""}),
    ],
)
def test_parse_parameters(value: bytes, params: dict[bytes, bytes]) -> None:
    assert parse_parameters(value) == params


@pytest.mark.parametrize(
    "value", [b"a=1", b";a", b";a =1", b";a= 1", b";a=1 b", b';a="x', b";a=x y", b";=1"]
)
def test_parse_parameters_rejects(value: bytes) -> None:
    with pytest.raises(ValueError, match="invalid parameters"):
        parse_parameters(value)


@pytest.mark.parametrize(
    ("value", "result"),
    [
        (b"text/html", (b"text/html", {})),
        (b"Text/HTML; Charset=UTF-8", (b"text/html", {b"charset": b"UTF-8"})),
        (
            b'multipart/form-data; boundary="----abc def"',
            (b"multipart/form-data", {b"boundary": b"----abc def"}),
        ),
        (b" text/plain ;", (b"text/plain", {})),
        (b"text/plain; \t", (b"text/plain", {})),
        (b"text/plain; a=1 ;  ", (b"text/plain", {b"a": b"1"})),
        (b"text", None),
        (b"text/", None),
        (b"text/html; charset", None),
        (b"", None),
    ],
)
def test_parse_media_type(value: bytes, result: tuple[bytes, dict[bytes, bytes]] | None) -> None:
    assert parse_media_type(value) == result


@pytest.mark.parametrize(
    ("value", "result"),
    [
        (None, []),
        (b"", []),
        (b"gzip", [(b"gzip", 1.0, {})]),
        (
            b"fr-CA, fr;q=0.9, en;q=0.8, *;q=0.5",
            [(b"fr-ca", 1.0, {}), (b"fr", 0.9, {}), (b"en", 0.8, {}), (b"*", 0.5, {})],
        ),
        (
            b"br;q=1.000, gzip;q=0.001, x;q=0",
            [(b"br", 1.0, {}), (b"gzip", 0.001, {}), (b"x", 0.0, {})],
        ),
        (b"a;q=0., b;q=1.", [(b"a", 0.0, {}), (b"b", 1.0, {})]),
        (b"a;Q=0.5", [(b"a", 0.5, {})]),  # parameter names are case-insensitive
        # §12.4.2: invalid weights drop the element, not the field.
        (b"a;q=2, b", [(b"b", 1.0, {})]),
        (b"a;q=1.5, b;q=0.1234, c;q=-1, d;q=.5, e;q=, f;q=1.001, g", [(b"g", 1.0, {})]),
        (b"a; q=0.5", [(b"a", 0.5, {})]),
        (b"a;q=0.5;q=1", [(b"a", 0.5, {})]),
        (
            b"text/html;level=1;q=0.7, */*;q=0.1",
            [(b"text/html", 0.7, {b"level": b"1"}), (b"*/*", 0.1, {})],
        ),
        (b"a b, c;x, d/e/f, , g", [(b"g", 1.0, {})]),  # bad syntax is dropped
        (b'"quoted", h', [(b"h", 1.0, {})]),
    ],
)
def test_parse_weighted(
    value: bytes | None, result: list[tuple[bytes, float, dict[bytes, bytes]]]
) -> None:
    assert parse_weighted(value) == result


@pytest.mark.parametrize(
    ("value", "result"),
    [
        (b"*", "*"),
        (b" * ", "*"),
        (b'"abc"', [ETag("abc")]),
        (b'W/"abc"', [ETag("abc", weak=True)]),
        (b'"a", W/"b" ,"c"', [ETag("a"), ETag("b", weak=True), ETag("c")]),
        (b'"a,b", "c"', [ETag("a,b"), ETag("c")]),  # commas are etagc
        (b'""', [ETag("")]),
        (b'"W/x"', [ETag("W/x")]),  # W/ inside the quotes belongs to the tag: strong
        (b'"Wx", W/"W/"', [ETag("Wx"), ETag("W/", weak=True)]),  # strip the prefix, not chars
        (b'w/"abc"', []),  # the weak indicator is case-sensitive (%s"W/")
        (b'" W/x"', []),  # a space is not etagc
        (b"abc", []),
        (b'abc, "d"', [ETag("d")]),  # a malformed element is skipped
        (b'"a" junk, "b"', [ETag("b")]),
        (b'"a", , "b"', [ETag("a"), ETag("b")]),
        (b'"a" "b"', []),
        (b'"\xe9t\xe9"', [ETag("\xe9t\xe9")]),  # obs-text kept as latin-1
        (b"", []),
        (b'*, "a"', [ETag("a")]),  # "*" is only special alone; in a list it is malformed
    ],
)
def test_parse_etag_list(value: bytes, result: list[ETag] | Literal["*"]) -> None:
    assert parse_etag_list(value) == result


def test_etag_values() -> None:
    strong, weak = ETag("v1"), ETag("v1", weak=True)
    assert strong.to_bytes() == b'"v1"'
    assert weak.to_bytes() == b'W/"v1"'
    assert str(strong) == '"v1"'
    assert str(weak) == 'W/"v1"'
    assert ETag("\xe9").to_bytes() == b'"\xe9"'


@pytest.mark.parametrize("tag", ['a"b', "a b", "a\x00", "\u20ac", "\x7f"])
def test_etag_rejects_bad_characters(tag: str) -> None:
    with pytest.raises(ValueError, match="entity-tag"):
        ETag(tag)


@pytest.mark.parametrize(
    # RFC 9110 §8.8.3.2's table of weak and strong comparison.
    ("left", "right", "strong", "weak"),
    [
        (ETag("1", weak=True), ETag("1", weak=True), False, True),
        (ETag("1", weak=True), ETag("2", weak=True), False, False),
        (ETag("1", weak=True), ETag("1"), False, True),
        (ETag("1"), ETag("1"), True, True),
        (ETag("1"), ETag("2"), False, False),
    ],
)
def test_etag_comparison(left: ETag, right: ETag, strong: bool, weak: bool) -> None:
    assert left.strong_match(right) is strong
    assert right.strong_match(left) is strong
    assert left.weak_match(right) is weak
    assert right.weak_match(left) is weak
