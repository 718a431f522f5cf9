"""The Request event a plan describes: the C helper's ``request_from_plan`` against its twin.

A plan (memo.py) is what a request head decided; ``_readers._request_from_plan`` makes the
event from it in Python (without the classes' ``__init__``), and the C helper makes the same
objects by writing the classes' ``__slots__`` directly. Every protocol test runs with each
(conftest.py); this file holds the two to the same result, the copy of the field list an
application may change, the classes the helper refuses, and the references it takes.
"""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

import pytest

from crlf.protocol import Connection, Headers, Request, Role, _readers
from tests.protocol._twins import twins

if TYPE_CHECKING:
    from collections.abc import Callable

    from crlf.protocol.memo import Plan

    MakeRequest = Callable[[Plan, type[Request], type[Headers]], Request]

c_make: MakeRequest | None
try:
    from crlf.protocol._speedups import request_from_plan as c_make
except ImportError:  # pragma: no cover - built by the test setup (scripts/setup-test.sh)
    c_make = None

needs_c = pytest.mark.skipif(c_make is None, reason="the C helper was not built")

HEADS = [
    b"GET / HTTP/1.1\r\nHost: developer.mozilla.org\r\nAccept-Language: fr\r\n\r\n",
    b"POST /contact_form.php HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
    b"GET /x?y=1 HTTP/1.0\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\nHost: a\r\nX-Trace: One\r\nx-trace: two\r\n\r\n",
]


def plan_of(head: bytes) -> Plan:
    """The plan a server connection remembers for ``head``."""
    conn = Connection(Role.SERVER)
    conn.receive_data(head)
    assert type(conn.next_event()) is Request
    plan = conn._memo.request
    assert plan is not None
    return plan


@pytest.mark.parametrize("make", twins(_readers._request_from_plan, "request_from_plan"))
@pytest.mark.parametrize("head", HEADS)
def test_the_event_a_plan_describes(make: MakeRequest, head: bytes) -> None:
    plan = plan_of(head)
    request = make(plan, Request, Headers)
    assert type(request) is Request
    assert type(request.headers) is Headers
    method, target, version, items, raw_source, _, _ = plan
    assert (request.method, request.target, request.http_version) == (method, target, version)
    assert request.method is method
    assert request.target is target
    assert request.headers.items() == items
    # The names as received come from the head the plan holds.
    assert request.headers._raw_source is raw_source
    assert (
        request.headers.raw_items()
        == Headers(
            [tuple(line.split(b": ", 1)) for line in head.split(b"\r\n")[1:-2]]  # type: ignore[misc]
        ).raw_items()
    )
    # As an object.__new__ instance is: tracked by the cycle collector.
    assert gc.is_tracked(request)
    assert gc.is_tracked(request.headers)


@pytest.mark.parametrize("make", twins(_readers._request_from_plan, "request_from_plan"))
def test_each_event_gets_its_own_field_list(make: MakeRequest) -> None:
    plan = plan_of(HEADS[0])
    first, second = make(plan, Request, Headers), make(plan, Request, Headers)
    first.headers._items.append((b"x-added", b"by middleware"))
    assert first.headers._items is not plan[3]
    assert len(second.headers) == len(plan[3]) == 2


@needs_c
@pytest.mark.parametrize("head", HEADS)
def test_c_and_python_agree(head: bytes) -> None:
    assert c_make is not None
    plan = plan_of(head)
    assert c_make(plan, Request, Headers) == _readers._request_from_plan(plan, Request, Headers)


class OtherRequest(Request):
    __slots__ = ("extra",)


class OtherHeaders(Headers):
    __slots__ = ()


@needs_c
def test_other_classes_and_back() -> None:
    """The slots are found again for other classes (a subclass keeps its base's offsets)."""
    assert c_make is not None
    plan = plan_of(HEADS[1])
    other = c_make(plan, OtherRequest, OtherHeaders)
    assert type(other) is OtherRequest
    assert type(other.headers) is OtherHeaders
    assert other.target == b"/contact_form.php"
    assert not hasattr(other, "extra")
    back = c_make(plan, Request, Headers)
    assert type(back) is Request
    assert back == other


class WithNew:
    __slots__ = ("_items", "_raw_source")

    def __new__(cls) -> WithNew:  # pragma: no cover - never called
        return super().__new__(cls)


class WithProperty:
    __slots__ = ("_items",)

    @property
    def _raw_source(self) -> bytes:  # pragma: no cover - never called
        return b""


class WithoutSlots:
    pass


@needs_c
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((Request, WithNew), "no __new__"),
        ((Request, WithProperty), "WithProperty._raw_source is not a writable __slots__ member"),
        ((Request, WithoutSlots), "has no attribute '_items'"),
        ((Request, 1), "no __new__"),
        ((Headers, Headers), "has no attribute 'method'"),
    ],
)
def test_classes_it_cannot_fill_are_refused(args: tuple[object, object], message: str) -> None:
    assert c_make is not None
    plan = plan_of(HEADS[0])
    with pytest.raises((TypeError, AttributeError), match=message):
        c_make(plan, *args)  # type: ignore[arg-type]
    assert type(c_make(plan, Request, Headers)) is Request  # the classes bound before still work


@needs_c
@pytest.mark.parametrize(
    "plan",
    [
        (b"GET", b"/", b"1.1", [], b""),  # six items short
        (b"GET", b"/", b"1.1", (), b"", 0, 0),  # items not a list
        [b"GET", b"/", b"1.1", [], b"", 0, 0],  # not a tuple
    ],
)
def test_what_is_not_a_plan_is_refused(plan: object) -> None:
    assert c_make is not None
    with pytest.raises(TypeError, match="request_from_plan"):
        c_make(plan, Request, Headers)  # type: ignore[arg-type]


@needs_c
def test_it_gives_back_the_references_it_takes() -> None:
    assert c_make is not None
    plan = plan_of(HEADS[0])
    shared = [*plan[:5], Request, Headers]
    gc.disable()  # (a collection in between would move counts of its own)
    try:
        before = [sys.getrefcount(o) for o in shared]
        for _ in range(100):
            request = c_make(plan, Request, Headers)
            del request
        after = [sys.getrefcount(o) for o in shared]
    finally:
        gc.enable()
    assert after == before
