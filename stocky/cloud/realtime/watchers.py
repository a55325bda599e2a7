"""In-process listeners of a room's events: how the web admin hears the change notices.

The admin's pages are rendered by this process, not by a Socket.IO client in the browser,
so they listen where every process already hears every event: the Redis manager's
`_handle_emit`, which runs once per process for each emit of any process (its own
included). A page registers for its tenant's room and redraws when told; nothing polls the
database.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

RoomWatcher = Callable[[str, Any], None]  # (event, data): must not block or raise


class RoomWatchers:
    def __init__(self) -> None:
        self._rooms: defaultdict[str, set[RoomWatcher]] = defaultdict(set)

    def watch(self, room: str, watcher: RoomWatcher) -> Callable[[], None]:
        """Call `watcher` for each event emitted to `room`; returns the way to stop."""
        self._rooms[room].add(watcher)

        def stop() -> None:
            watchers = self._rooms.get(room)
            if watchers is not None:
                watchers.discard(watcher)
                if not watchers:
                    self._rooms.pop(room, None)

        return stop

    def deliver(self, event: str, data: Any, room: str | None) -> None:
        if room is None:
            return
        for watcher in list(self._rooms.get(room, ())):
            try:
                watcher(event, data)
            except Exception:
                log.exception("a watcher of room %s failed on %s", room, event)

    def count(self, room: str) -> int:
        return len(self._rooms.get(room, ()))
