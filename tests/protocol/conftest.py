"""Fixtures of the protocol tests: every test here runs with each request-head splitter.

A request head is split by ``_readers.split_request_head``: the C helper when it was built
(``src/crlf/protocol/_speedups.c``), else its pure-Python twin. Both must take exactly the same
heads and give the same results, so each module runs once with each (module scope, so that
hypothesis's tests may use it), the conformance corpus and the property tests included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from crlf.protocol import _readers, connection

Splitter = Callable[[bytes, int, int], object]


def splitters() -> list[object]:
    """Every request-head splitter this install has: the pure-Python one, and the C one if built.

    With the C one come ``take_request_head``, which also finds, cuts and decides the usual
    heads (the pure-Python parser has no such step: its stand-in takes nothing), and
    ``request_from_plan``, which makes the Request event of a plan (its twin in _readers.py)."""
    found: list[object] = [
        pytest.param(
            (
                _readers._py_split_request_head,
                _readers._take_nothing,
                _readers._request_from_plan,
            ),
            id="split-python",
        )
    ]
    try:
        from crlf.protocol._speedups import (
            request_from_plan,
            split_request_head,
            take_request_head,
        )
    except ImportError:
        pass
    else:
        found.append(
            pytest.param((split_request_head, take_request_head, request_from_plan), id="split-c")
        )
    return found


@pytest.fixture(autouse=True, scope="module", params=splitters())
def head_splitter(request: pytest.FixtureRequest) -> Iterator[Splitter]:
    # connection.py imported the names, so that is where they are replaced.
    chosen, take, make = request.param
    names = ("split_request_head", "take_request_head", "request_from_plan")
    saved = [getattr(connection, name) for name in names]
    for name, helper in zip(names, (chosen, take, make), strict=True):
        setattr(connection, name, helper)
    try:
        yield chosen
    finally:
        for name, helper in zip(names, saved, strict=True):
            setattr(connection, name, helper)
