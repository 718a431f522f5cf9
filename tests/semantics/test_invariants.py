"""Property tests: the parsers take any bytes a peer can send and never raise."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crlf.semantics import (
    ETag,
    Validators,
    evaluate,
    if_range_allows,
    negotiate_encoding,
    negotiate_language,
    parse_etag_list,
    parse_http_date,
    parse_media_type,
    parse_range,
    parse_weighted,
    split_list,
)

# Field values: bytes biased towards the characters the grammars care about.
FIELD = st.one_of(
    st.binary(max_size=80),
    st.lists(
        st.sampled_from(
            [
                b",",
                b";",
                b"=",
                b'"',
                b"\\",
                b" ",
                b"\t",
                b"W/",
                b"*",
                b"q",
                b"0.5",
                b"1",
                b"-",
                b"bytes",
                b"gzip",
                b"fr",
                b"a",
                b"/",
                b"\xff",
                b"GMT",
                b"Sun, 06 Nov 1994 ",
            ]
        ),
        max_size=20,
    ).map(b"".join),
)


@given(FIELD)
def test_field_parsers_never_raise(value: bytes) -> None:
    for element in split_list(value):
        assert element
        assert element == element.strip(b" \t")
    for item, q, params in parse_weighted(value):
        assert item == item.lower()
        assert 0.0 <= q <= 1.0
        assert b"q" not in params
    tags = parse_etag_list(value)
    assert tags == "*" or all(isinstance(tag, ETag) for tag in tags)
    parse_media_type(value)
    parse_http_date(value)


@given(FIELD, st.integers(min_value=0, max_value=1000))
def test_range_results_lie_inside_the_representation(value: bytes, size: int) -> None:
    result = parse_range(b"bytes=" + value, size)
    if isinstance(result, list):
        assert all(0 <= first <= last < size for first, last in result)
        assert sum(last - first + 1 for first, last in result) <= size


@given(FIELD, FIELD, FIELD, FIELD, st.sampled_from([b"GET", b"HEAD", b"PUT"]))
def test_conditionals_never_raise(
    if_match: bytes, ius: bytes, inm: bytes, ims: bytes, method: bytes
) -> None:
    validators = Validators(etag=ETag("abc"), last_modified=784111777)
    fields = {
        b"if-match": if_match,
        b"if-unmodified-since": ius,
        b"if-none-match": inm,
        b"if-modified-since": ims,
    }
    evaluate(method, fields, validators)
    if_range_allows(if_match, validators)


@given(FIELD)
def test_negotiation_always_answers_from_the_offer(value: bytes) -> None:
    assert negotiate_language(value, ["en", "fr", "fr-CA"], "en") in {"en", "fr", "fr-CA"}
    assert negotiate_encoding(value, ["br", "gzip", "identity"]) in {"br", "gzip", "identity", None}
