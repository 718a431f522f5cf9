"""Header fields as received or to be sent (RFC 9110 §5, RFC 9112 §5).

A :class:`Headers` keeps every field in order with its name lowercased (for lookups and ASGI)
and its raw casing (for applications that want it, and for ``--trace``). Lookups are
case-insensitive because field names are (RFC 9110 §5.1). Values are bytes, never decoded:
RFC 9110 §5.5 allows obs-text, and what it means is the application's business.

The parser validates once and builds the lists directly; nothing here re-validates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["Headers"]

# Where a Headers finds the names as received: a request head the parser validated (read only
# when raw_items() is called), or (name as received, value) pairs whose values are not read
# (a parser's may still carry the trailing OWS that the items' values have lost).
RawSource = bytes | list[tuple[bytes, bytes]]


class Headers:
    """An ordered, case-insensitive multimap of header fields.

    Args:
        items: ``(name, value)`` pairs. Names are lowercased for lookups; the raw casing is kept.
    """

    __slots__ = ("_items", "_raw_source")

    def __init__(self, items: Iterable[tuple[bytes, bytes]] = ()) -> None:
        raw_names: list[bytes] = []
        lowered: list[tuple[bytes, bytes]] = []
        for name, value in items:
            raw_names.append(name)
            lowered.append((name.lower(), value))
        self._items = lowered
        self._raw_source: RawSource = [
            (raw, value) for raw, (_, value) in zip(raw_names, lowered, strict=True)
        ]

    @classmethod
    def _from_parsed(cls, items: list[tuple[bytes, bytes]], raw_source: RawSource) -> Headers:
        # The parser validated and split everything already: adopt its list as it is, and where
        # the names as received are (raw_items reads them from there only when asked).
        self = cls.__new__(cls)
        self._items = items
        self._raw_source = raw_source
        return self

    def items(self) -> list[tuple[bytes, bytes]]:
        """``(lowercased name, value)`` pairs in received order: exactly an ASGI ``headers`` list."""
        return self._items

    def raw_items(self) -> list[tuple[bytes, bytes]]:
        """``(name as received, value)`` pairs in received order (made anew at each call)."""
        source = self._raw_source
        if isinstance(source, bytes):
            # A request head the parser validated: its field lines are those between the
            # request line and the CRLF CRLF, each a name, a colon and the value.
            names = [line[: line.index(b":")] for line in source.split(b"\r\n")[1:-2]]
        else:
            names = [name for name, _ in source]
        return [(name, value) for name, (_, value) in zip(names, self._items, strict=True)]

    def get(self, name: bytes, default: bytes | None = None) -> bytes | None:
        """The first value of ``name`` (any case), or ``default``."""
        name = name.lower()
        for key, value in self._items:
            if key == name:
                return value
        return default

    def get_all(self, name: bytes) -> list[bytes]:
        """Every value of ``name`` (any case), in order."""
        name = name.lower()
        return [value for key, value in self._items if key == name]

    def get_list(self, name: bytes) -> list[bytes]:
        """The comma-separated list elements of every ``name`` field, trimmed (RFC 9110 §5.6.1).

        Empty elements are dropped, as §5.6.1 requires recipients to accept ``a, , b``.
        """
        out: list[bytes] = []
        for value in self.get_all(name):
            for element in value.split(b","):
                element = element.strip(b" \t")
                if element:
                    out.append(element)
        return out

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, bytes):
            return False
        name = name.lower()
        return any(key == name for key, _ in self._items)

    def __iter__(self) -> Iterator[tuple[bytes, bytes]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._items == other._items
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking container: not hashable

    def __repr__(self) -> str:
        return f"Headers({self.raw_items()!r})"
