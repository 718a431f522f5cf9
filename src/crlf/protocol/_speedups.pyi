# The optional C helper (_speedups.c): a request head validated and split in one pass.
_Pairs = list[tuple[bytes, bytes]]

def split_request_head(
    head: bytes, max_start_line: int, max_fields: int, /
) -> tuple[bytes, bytes, bytes, _Pairs, _Pairs, _Pairs] | None: ...
