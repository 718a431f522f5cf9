# The optional C helper (_speedups.c): the WebSocket masking XOR (RFC 6455 §5.3).
def unmask(
    data: bytes | bytearray | memoryview,
    key: bytes | bytearray,
    start: int,
    end: int,
    phase: int,
    /,
) -> bytes: ...
def unmask_join(
    parts: list[bytes | bytearray | memoryview], key: bytes | bytearray, phase: int, /
) -> bytes: ...
