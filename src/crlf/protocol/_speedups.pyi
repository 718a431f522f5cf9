from .limits import Limits

# The optional C helper (_speedups.c): a request head validated and split in one pass.
_Pairs = list[tuple[bytes, bytes]]

def split_request_head(
    head: bytes, max_start_line: int, max_fields: int, /
) -> tuple[bytes, bytes, bytes, _Pairs, _Pairs, _Pairs] | None: ...
def take_request_head(
    buf: bytearray, search_from: int, limits: Limits, /
) -> (
    tuple[
        bytes,
        tuple[bytes, bytes, bytes, _Pairs, _Pairs, bool, int, bool, bool]
        | tuple[bytes, bytes, bytes, _Pairs, _Pairs, _Pairs],
    ]
    | None
): ...
