"""The small-file cache and the directory-listing cache: bounds, LRU order, revalidation."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from crlf.files._cache import CachedFile, DirectoryCache, FileCache, is_racy, stat_key

if TYPE_CHECKING:
    from pathlib import Path

KEY = (1, 10, 100, 1000)


def test_get_put_and_stale_keys() -> None:
    cache = FileCache(100, 50)
    cache.put("/a", CachedFile(KEY, b"x" * 10))
    entry = cache.get("/a", KEY)
    assert entry is not None
    assert entry.data == b"x" * 10
    assert cache.get("/a", (2, 10, 100, 1000)) is None  # changed mtime: dropped
    assert cache.get("/a", KEY) is None
    assert len(cache) == 0
    assert cache.size == 0


def test_entries_over_the_entry_limit_are_refused() -> None:
    cache = FileCache(100, 50)
    cache.put("/big", CachedFile(KEY, b"x" * 51))
    assert len(cache) == 0


def test_least_recently_used_goes_first() -> None:
    cache = FileCache(30, 10)
    for name in ("a", "b", "c"):
        cache.put(name, CachedFile(KEY, b"x" * 10))
    assert cache.get("a", KEY) is not None  # a is now the most recent
    cache.put("d", CachedFile(KEY, b"x" * 10))
    assert cache.get("b", KEY) is None
    assert cache.get("a", KEY) is not None
    assert cache.size == 30


def test_growth_by_gzip_is_accounted() -> None:
    cache = FileCache(25, 20)
    entry = CachedFile(KEY, b"x" * 10)
    cache.put("a", entry)
    cache.put("b", CachedFile(KEY, b"y" * 10))
    entry.gzip = b"z" * 8
    cache.grew("a", 8)
    assert cache.size <= 25
    assert len(cache) == 1


def test_disabled_cache() -> None:
    cache = FileCache(0, 1024)
    cache.put("a", CachedFile(KEY, b"x"))
    assert len(cache) == 0


def test_directory_listing_revalidated_by_stat(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("a")
    os.utime(tmp_path, (1_600_000_000, 1_600_000_000))
    listings = DirectoryCache()
    st = os.stat(tmp_path)
    assert not is_racy(st)
    assert listings.listing(str(tmp_path), st) == {"a"}
    (tmp_path / "b").write_text("b")
    os.utime(tmp_path, (1_600_000_000, 1_600_000_000))  # same mtime: the cached answer stands
    assert listings.listing(str(tmp_path), os.stat(tmp_path)) == {"a"}
    os.utime(tmp_path, (1_600_000_100, 1_600_000_100))
    assert listings.listing(str(tmp_path), os.stat(tmp_path)) == {"a", "b"}


def test_recent_directories_are_not_trusted(tmp_path: Path) -> None:
    listings = DirectoryCache()
    (tmp_path / "a").write_text("a")
    assert is_racy(os.stat(tmp_path))
    assert listings.listing(str(tmp_path), os.stat(tmp_path)) == {"a"}
    (tmp_path / "b").write_text("b")  # within the same timestamp tick, perhaps: still seen
    assert listings.listing(str(tmp_path), os.stat(tmp_path)) == {"a", "b"}


def test_stat_key_fields(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    st = os.stat(path)
    assert stat_key(st) == (st.st_mtime_ns, 3, st.st_ino, st.st_dev)
