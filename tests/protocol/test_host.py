"""The Host check (RFC 9112 §3.2, RFC 3986 §3.2.2): the lstrip fast path agrees with HOST_RE."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crlf.protocol._abnf import HOST_RE
from crlf.protocol.connection import _is_host

CASES = [
    (b"", True),
    (b"example.com", True),
    (b"example.com:8080", True),
    (b"example.com:", True),
    (b":80", True),
    (b"127.0.0.1:8000", True),
    (b"[::1]:8000", True),
    (b"[v1.fe80::a]", True),
    (b"xn--bcher-kva.example", True),
    (b"a%20b", True),
    (b"a b", False),
    (b"a/b", False),
    (b"a:b", False),
    (b"a:80:90", False),
    (b"user@host", False),
    (b"[::1", False),
    (b"\xc3\xa9.example", False),
    (b"a\x00", False),
]


@pytest.mark.parametrize(("value", "valid"), CASES)
def test_host_table(value: bytes, valid: bool) -> None:
    assert _is_host(value) is valid
    assert (HOST_RE.fullmatch(value) is not None) is valid


@given(
    st.binary(max_size=40) | st.text(alphabet="ab.-:[]0123456789@/ %~", max_size=20).map(str.encode)
)
def test_the_fast_path_agrees_with_the_grammar(value: bytes) -> None:
    assert _is_host(value) == (HOST_RE.fullmatch(value) is not None)
