"""Fixtures of the protocol tests: every test here runs with each set of parser helpers.

A request head is split by ``_readers.split_request_head``: the C helper when it was built
(``src/crlf/protocol/_speedups.c``), else its pure-Python twin. With the C helper come
``take_request_head``, which also finds, cuts and decides the usual heads (the pure-Python
parser has no such step: its stand-in takes nothing), ``request_from_plan``, which makes the
Request event of a plan, ``data_from_buffer``, which cuts a piece of body into its Data event,
and ``cut``, which drops bytes read from the front of the buffer (``_readers.PYTHON_TWINS``
names each twin). Both sets must give the same results, so each module runs once with each
(module scope, so that hypothesis's tests may use it), the conformance corpus and the property
tests included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from crlf.protocol import _readers, connection

if TYPE_CHECKING:
    from collections.abc import Iterator

TWINS = _readers.PYTHON_TWINS


def helper_sets() -> list[object]:
    """Every set of helpers this install has: the pure-Python one, and the C one if built."""
    found: list[object] = [pytest.param(TWINS, id="split-python")]
    try:
        from crlf.protocol import _speedups
    except ImportError:
        pass
    else:
        built = {name: getattr(_speedups, name) for name in TWINS}
        found.append(pytest.param(built, id="split-c"))
    return found


@pytest.fixture(autouse=True, scope="module", params=helper_sets())
def parser_helpers(request: pytest.FixtureRequest) -> Iterator[dict[str, object]]:
    # Each module imported the names it calls, so that is where they are replaced: connection.py
    # calls them all, _readers.py's body readers call data_from_buffer and cut.
    chosen: dict[str, object] = request.param
    places = [(module, name) for module in (connection, _readers) for name in TWINS]
    places = [(module, name) for module, name in places if hasattr(module, name)]
    saved = [getattr(module, name) for module, name in places]
    for module, name in places:
        setattr(module, name, chosen[name])
    try:
        yield chosen
    finally:
        for (module, name), helper in zip(places, saved, strict=True):
            setattr(module, name, helper)
