"""Drafts beyond the model's capacity wait in line, told how many are ahead, and never fail for it."""

from __future__ import annotations

import threading
import time

import pytest

from app.drafting.queue import DraftQueue, QueueTimeout
from app.registry.store import Store


@pytest.fixture
def queue_store(store_location):
    store = Store(store_location)
    yield store
    store.close()


def test_drafts_take_turns_in_order_of_arrival_and_hear_how_many_are_ahead(queue_store):
    queue = DraftQueue(queue_store, capacity=1, poll_s=0.05)
    running, release = threading.Event(), threading.Event()
    heard: dict[int, list[int]] = {1: [], 2: []}
    order: list[int] = []

    def first() -> None:
        with queue.turn("first draft"):
            order.append(0)
            running.set()
            assert release.wait(10)

    def later(n: int, told: threading.Event) -> None:
        with queue.turn(f"draft {n}", waiting=lambda ahead: (heard[n].append(ahead), told.set())):
            order.append(n)
            time.sleep(0.3)  # long enough for the one behind to see the line move

    threads = [threading.Thread(target=first)]
    threads[0].start()
    assert running.wait(10)
    for n in (1, 2):  # they arrive one after the other while the first one drafts
        told = threading.Event()
        threads.append(threading.Thread(target=later, args=(n, told)))
        threads[-1].start()
        assert told.wait(10)
    assert order == [0], "nobody else uses the model while the first draft does"
    release.set()
    for thread in threads:
        thread.join(30)
    assert order == [0, 1, 2], "first come, first served"
    assert heard[1][0] == 1 and heard[2][0] == 2, "each was told how many drafts were ahead"
    assert heard[2][-1] == 1, "and told again as the line moved"
    assert queue_store.read("SELECT COUNT(*) FROM draft_queue")[0][0] == 0, "finished drafts leave the queue"


def test_a_ticket_whose_process_died_does_not_block_the_queue(queue_store):
    queue = DraftQueue(queue_store, capacity=1, poll_s=0.05, stale_s=1.0)
    with queue_store.transaction() as conn:  # a draft that was running when its process was killed
        conn.execute("INSERT INTO draft_queue (who, state, created_at, heartbeat_at) VALUES "
                     "('dead process', 'running', '2026-12-01T00:00:00+00:00', '2026-12-01T00:00:00+00:00')")
    started = time.monotonic()
    with queue.turn("next draft"):
        assert time.monotonic() - started < 1.0
    assert queue_store.read("SELECT COUNT(*) FROM draft_queue")[0][0] == 0


def test_waiting_too_long_is_a_clear_error_and_leaves_the_queue(queue_store):
    busy = DraftQueue(queue_store, capacity=1, poll_s=0.05)
    impatient = DraftQueue(queue_store, capacity=1, poll_s=0.05, max_wait_s=0.3)
    with busy.turn("a long draft"):
        with pytest.raises(QueueTimeout, match="1 drafts are still ahead"):
            with impatient.turn("a second draft"):
                pass
        assert queue_store.read("SELECT COUNT(*) FROM draft_queue")[0][0] == 1
