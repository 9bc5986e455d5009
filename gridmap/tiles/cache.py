"""Rendered tiles kept in the process, by what they depend on: the same tile asked again (another person, another
browser, the same view tomorrow morning) is served without reading or encoding anything.

The key is the tile's version tag (:func:`gridmap.tiles.layers.version_tag`: the layers' change counter, the day, the
reader's scope), the database and ``z/x/y`` — an edit moves the counter, so a stale tile is never served; it only
ages out. Bounded by bytes, least recently used first out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

MAX_BYTES = 64 * 2**20  # 64 MiB: some 3,000 busy z14 tiles (~20 KiB each) of every layer


class TileCache:
    """A least-recently-used map of tile keys to tile bytes, at most ``max_bytes`` in all (thread-safe)."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get_or_render(self, key: Hashable | None, render: Callable[[], bytes]) -> bytes:
        """The tile of ``key``, rendered (and kept) when it is not held; a None key is never kept."""
        if key is None:
            return render()
        with self._lock:
            data = self._tiles.get(key)
            if data is not None:
                self._tiles.move_to_end(key)
                return data
        data = render()  # outside the lock: two requests for one new tile may both render it, harmlessly
        with self._lock:
            if key not in self._tiles and len(data) <= self.max_bytes:
                self._tiles[key] = data
                self._bytes += len(data)
                while self._bytes > self.max_bytes:
                    _, old = self._tiles.popitem(last=False)
                    self._bytes -= len(old)
        return data

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._tiles)


TILES = TileCache()
