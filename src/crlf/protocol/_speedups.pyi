from .events import Data, Request
from .headers import Headers
from .limits import Limits

# The optional C helper (_speedups.c): a request head validated and split in one pass, and a
# server's fresh head found, split and (for the usual requests) decided in one call.
_Pairs = list[tuple[bytes, bytes]]
_Split = tuple[bytes, bytes, bytes, _Pairs, _Pairs]
# memo.py's Plan as the helper makes it: its raw source is the head.
_Plan = tuple[bytes, bytes, bytes, _Pairs, bytes, int, int]

def split_request_head(head: bytes, max_start_line: int, max_fields: int, /) -> _Split | None: ...
def take_request_head(
    buf: bytearray, search_from: int, limits: Limits, max_decided: int, /
) -> _Plan | tuple[bytes, _Split] | None: ...
def request_from_plan(
    plan: _Plan, request_class: type[Request], headers_class: type[Headers], /
) -> Request: ...
def data_from_buffer(buf: bytearray, n: int, data_class: type[Data], /) -> Data: ...
def cut(buf: bytearray, n: int, /) -> None: ...
