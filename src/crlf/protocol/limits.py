"""The limits the protocol core enforces, with the status each one answers with."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Size limits for incoming messages. Every default has a precedent.

    Attributes:
        max_start_line: bytes in the request or status line; over it a server answers 414
            (RFC 9112 §3: "at least 8000 octets" recommended; Apache LimitRequestLine 8190).
        max_head_bytes: bytes in the whole head, start line included; over it 431 (RFC 6585 §5).
            32 KiB: nginx's large_client_header_buffers is 4 x 8k, h11 and node take 16k-80k.
        max_header_count: number of header field lines; over it 431 (Apache LimitRequestFields 100).
        max_chunk_line: bytes in one chunk-size line with its extensions (RFC 9112 §7.1.1
            lets a recipient limit extensions; h11 and node use a few KiB).
        max_body_size: bytes of body, declared or chunked; over it 413 (RFC 9110 §15.5.14).
            ``None`` means unbounded. 100 MiB by default; nginx's client_max_body_size is 1 MiB.
        max_buffer_bytes: bytes a paused connection may hold for the next pipelined request
            before the caller should stop reading; exposed as ``Connection.buffer_is_full``.
    """

    max_start_line: int = 8190
    max_head_bytes: int = 32 * 1024
    max_header_count: int = 100
    max_chunk_line: int = 4096
    max_body_size: int | None = 100 * 1024 * 1024
    max_buffer_bytes: int = 256 * 1024

    def __post_init__(self) -> None:
        for name in ("max_start_line", "max_head_bytes", "max_header_count", "max_chunk_line"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.max_body_size is not None and self.max_body_size < 0:
            raise ValueError("max_body_size must be >= 0 or None")
