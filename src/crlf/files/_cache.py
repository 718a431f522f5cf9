"""A bounded in-memory cache of small files, revalidated against the disk by ``stat``.

Theory of operation: an entry remembers the file's identity as ``os.stat`` reported it right
after the bytes were read through the same descriptor (``fstat`` after ``open``, so the bytes and
the validators describe the same file even when it is replaced concurrently). When the app
revalidates (on every request with ``revalidate_after=0``, else at most once per that many
seconds per response, see :class:`crlf.files.StaticFiles`) it ``stat``s the path once and asks
:meth:`FileCache.get` with that stat: a changed mtime, size, inode or device drops the entry.
Entries are evicted least-recently-used first once the total size passes ``max_bytes``; an entry
that leaves the cache is released (its bytes dropped, ``live`` false), so the app's prepared
responses that point at it stop using it and the memory bound holds. Directory listings are
cached the same way, keyed by the directory's own stat (adding or removing an entry changes a
directory's mtime).
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from dataclasses import dataclass, field

__all__ = ["CachedFile", "DirectoryCache", "FileCache", "StatKey", "is_racy", "stat_key"]

StatKey = tuple[int, int, int, int]


# File system timestamps are coarse (the kernel's clock tick, a few ms; whole seconds on some
# file systems), so a file changed twice within one tick keeps its mtime. As git does for its
# "racily clean" index entries, an entry whose mtime is this close to now is not trusted.
RACY_NS = 2_000_000_000


def stat_key(st: os.stat_result) -> StatKey:
    """The parts of a stat that change when the file's content may have changed."""
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)


def is_racy(st: os.stat_result) -> bool:
    """Tell whether ``st`` is too recent for its mtime to prove the content unchanged later."""
    return time.time_ns() - st.st_mtime_ns < RACY_NS


@dataclass(slots=True)
class CachedFile:
    """A small file held in memory.

    Attributes:
        key: the stat identity the bytes belong to.
        data: the file's bytes.
        gzip: the bytes gzip-compressed, made on first need (on-the-fly compression).
        live: false once the cache let the entry go (then ``data`` is empty).
    """

    key: StatKey
    data: bytes
    gzip: bytes | None = field(default=None)
    live: bool = field(default=True)

    @property
    def cost(self) -> int:
        """Bytes of memory the entry accounts for."""
        return len(self.data) + (len(self.gzip) if self.gzip is not None else 0)

    def release(self) -> None:
        """Drop the bytes: whoever still points at the entry must check ``live`` first."""
        self.live = False
        self.data = b""
        self.gzip = None


class FileCache:
    """LRU cache of :class:`CachedFile` by real path, bounded in total bytes."""

    def __init__(self, max_bytes: int, max_entry_bytes: int) -> None:
        """Create an empty cache.

        Args:
            max_bytes: the total size the entries may take (0 disables the cache).
            max_entry_bytes: files larger than this are never cached.
        """
        self.max_bytes = max_bytes
        self.max_entry_bytes = min(max_entry_bytes, max_bytes)
        self._entries: OrderedDict[str, CachedFile] = OrderedDict()
        self._size = 0

    @property
    def size(self) -> int:
        """The bytes currently held."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, path: str, key: StatKey) -> CachedFile | None:
        """Return the entry for ``path`` if it is still current.

        Args:
            path: the real path.
            key: the path's stat identity just now.

        Returns:
            The entry, or None (a stale entry is dropped).
        """
        entry = self._entries.get(path)
        if entry is None:
            return None
        if entry.key != key:
            self._drop(path)
            return None
        self._entries.move_to_end(path)
        return entry

    def put(self, path: str, entry: CachedFile) -> None:
        """Store an entry (or refuse it silently when too big), evicting old ones.

        Args:
            path: the real path.
            entry: the file's bytes and identity.
        """
        if entry.cost > self.max_entry_bytes:
            return
        self._drop(path)
        self._entries[path] = entry
        self._size += entry.cost
        self._evict()

    def holds(self, path: str, entry: CachedFile) -> bool:
        """Tell whether ``entry`` is the one kept for ``path`` (not refused, not replaced)."""
        return self._entries.get(path) is entry

    def grew(self, path: str, extra: int) -> None:
        """Account for bytes added to an entry in place (its gzip form), evicting as needed."""
        if path in self._entries:
            self._size += extra
            self._evict()

    def _drop(self, path: str) -> None:
        entry = self._entries.pop(path, None)
        if entry is not None:
            self._size -= entry.cost
            entry.release()

    def _evict(self) -> None:
        while self._size > self.max_bytes and self._entries:
            _, entry = self._entries.popitem(last=False)
            self._size -= entry.cost
            entry.release()


class DirectoryCache:
    """Directory listings by real path, revalidated by the directory's stat."""

    # A site has a bounded number of directories; past this many the cache starts over rather
    # than growing (only existing directories are ever listed, so a scan cannot inflate it).
    MAX_DIRECTORIES = 4096

    def __init__(self) -> None:
        """Create an empty cache."""
        self._entries: dict[str, tuple[StatKey, frozenset[str]]] = {}

    def listing(self, path: str, st: os.stat_result) -> frozenset[str]:
        """The names in directory ``path`` (whose stat is ``st``), from cache or the disk.

        Args:
            path: a real directory path.
            st: its stat, just taken.

        Returns:
            The entry names.

        Raises:
            OSError: the directory cannot be listed.
        """
        key = stat_key(st)
        cached = self._entries.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        names = frozenset(os.listdir(path))
        if is_racy(st):
            return names
        if len(self._entries) >= self.MAX_DIRECTORIES:
            self._entries.clear()
        self._entries[path] = (key, names)
        return names
