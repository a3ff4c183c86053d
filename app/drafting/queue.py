"""Drafts wait their turn for the model, in a queue that every process sharing the store sees.

A shared model server (``sopdraft model serve``) or the model inside one UI process serves
a few calls at once; a draft makes eight. Without a queue, five people drafting at once
slow each other down until calls time out. Here each draft takes a ticket in the store's
``draft_queue`` table (SQLite or PostgreSQL, so UI and CLI processes on one store share
it); at most ``capacity`` drafts use the model at a time, in order of arrival, and the
others are told how many drafts are ahead of them. A ticket keeps a heartbeat while its
draft waits or runs: a process that died stops blocking the queue after ``stale_s``.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from app.registry.store import Store


class QueueTimeout(RuntimeError):
    """A draft waited longer than allowed for its turn."""


class DraftQueue:
    """At most ``capacity`` drafts use the model at once, across every process on ``store``."""

    def __init__(self, store: "Store", capacity: int, *, poll_s: float = 1.0, stale_s: float = 60.0,
                 max_wait_s: float = 3600.0) -> None:
        self.store = store
        self.capacity = max(1, capacity)
        self.poll_s = poll_s
        self.stale_s = stale_s
        self.max_wait_s = max_wait_s

    def _now(self) -> str:
        return datetime.now(timezone.utc).isoformat()

    def _fresh_since(self) -> str:
        return (datetime.now(timezone.utc) - timedelta(seconds=self.stale_s)).isoformat()

    def _enter(self, who: str) -> int:
        with self.store.transaction() as conn:
            now = self._now()
            return conn.execute("INSERT INTO draft_queue (who, state, created_at, heartbeat_at) "
                                "VALUES (?, 'waiting', ?, ?) RETURNING id", (who, now, now)).fetchone()[0]

    def _try_start(self, ticket: int) -> int:
        """Start ``ticket`` if its turn has come (returns 0), else return how many drafts are ahead."""
        with self.store.transaction() as conn:
            fresh = self._fresh_since()
            conn.execute("UPDATE draft_queue SET heartbeat_at = ? WHERE id = ?", (self._now(), ticket))
            running = conn.execute("SELECT COUNT(*) FROM draft_queue WHERE state = 'running' AND heartbeat_at > ?",
                                   (fresh,)).fetchone()[0]
            waiting = conn.execute("SELECT COUNT(*) FROM draft_queue WHERE state = 'waiting' AND id < ? "
                                   "AND heartbeat_at > ?", (ticket, fresh)).fetchone()[0]
            if running < self.capacity and waiting == 0:
                conn.execute("UPDATE draft_queue SET state = 'running' WHERE id = ?", (ticket,))
                return 0
            return running + waiting

    def _try_start_or_wait(self, ticket: int) -> int:
        """:meth:`_try_start`, counting a store that is briefly unreachable as one more wait."""
        from app.registry.postgres import StoreUnavailable

        try:
            return self._try_start(ticket)
        except StoreUnavailable:
            return -1  # not our turn yet; the caller polls again

    def _beat(self, ticket: int) -> None:
        with self.store.transaction() as conn:
            conn.execute("UPDATE draft_queue SET heartbeat_at = ? WHERE id = ?", (self._now(), ticket))

    def _leave(self, ticket: int) -> None:
        with self.store.transaction() as conn:
            conn.execute("DELETE FROM draft_queue WHERE id = ? OR heartbeat_at < ?", (ticket, self._fresh_since()))

    @contextmanager
    def turn(self, who: str, waiting: Callable[[int], None] | None = None) -> Iterator[None]:
        """Wait for this draft's turn (calling ``waiting(drafts_ahead)`` while it waits), then hold it."""
        ticket = self._enter(who)
        stop = threading.Event()
        beat = threading.Thread(target=self._keep_alive, args=(ticket, stop), daemon=True, name="draft-queue")
        try:
            started = time.monotonic()
            last = None
            while ahead := self._try_start_or_wait(ticket):
                if waiting is not None and ahead != last and ahead > 0:
                    waiting(ahead)
                    last = ahead
                if time.monotonic() - started > self.max_wait_s:
                    raise QueueTimeout(f"waited {self.max_wait_s:.0f} s for the model and {ahead} drafts are still "
                                       "ahead; try again later")
                time.sleep(self.poll_s)
            beat.start()
            yield
        finally:
            stop.set()
            if beat.is_alive():
                beat.join(5)
            try:
                self._leave(ticket)
            except Exception:  # noqa: BLE001 - the row goes stale and is cleared by the next draft
                pass

    def _keep_alive(self, ticket: int, stop: threading.Event) -> None:
        while not stop.wait(self.stale_s / 4):
            try:
                self._beat(ticket)
            except Exception:  # noqa: BLE001 - a missed beat only risks being skipped; the draft goes on
                continue
