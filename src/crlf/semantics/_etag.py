"""The entity-tag value type (RFC 9110 §8.8.3), shared by fields.py and conditional.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ETag"]

# RFC 9110 §8.8.3: etagc = %x21 / %x23-7E / obs-text (no DQUOTE, no SP, no CTL). obs-text
# (%x80-FF) is carried as latin-1 characters in the str.
_ETAGC = re.compile(r"[\x21\x23-\x7e\x80-\xff]*")


@dataclass(frozen=True, slots=True)
class ETag:
    """An entity-tag: an opaque validator, strong or weak (RFC 9110 §8.8.3).

    Args:
        tag: the opaque-tag's characters *without* the double quotes or the ``W/`` prefix.
        weak: ``True`` for a weak validator (``W/"..."``).

    Raises:
        ValueError: ``tag`` has a character outside etagc (DQUOTE, space, control, > U+00FF).
    """

    tag: str
    weak: bool = False

    def __post_init__(self) -> None:
        if _ETAGC.fullmatch(self.tag) is None:
            raise ValueError(f"invalid entity-tag characters: {self.tag!r}")

    def strong_match(self, other: ETag) -> bool:
        """Strong comparison: both strong and the same opaque-tag (RFC 9110 §8.8.3.2).

        Used by If-Match (§13.1.1) and If-Range (§13.1.5).
        """
        return not self.weak and not other.weak and self.tag == other.tag

    def weak_match(self, other: ETag) -> bool:
        """Weak comparison: the same opaque-tag, either or both may be weak (§8.8.3.2).

        Used by If-None-Match (§13.1.2).
        """
        return self.tag == other.tag

    def to_bytes(self) -> bytes:
        """The field value: ``b'"tag"'`` or ``b'W/"tag"'`` (RFC 9110 §8.8.3)."""
        quoted = b'"' + self.tag.encode("latin-1") + b'"'
        return b"W/" + quoted if self.weak else quoted

    def __str__(self) -> str:
        return f'W/"{self.tag}"' if self.weak else f'"{self.tag}"'
