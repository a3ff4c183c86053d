"""Shared by the team benchmarks: ``n`` people starting a draft at the same moment."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from app.services import Services

TASK = "Summarise internal meetings with AI"


def draft_at_once(make_services: Callable[[], "Services"], n: int, login: str, secret: str,
                  results: list[tuple[str, float, int]]) -> None:
    """Start ``n`` drafts at once, each from its own services (as separate UI sessions would).

    Appends ``(outcome, seconds, most drafts it was told were ahead)`` per draft to ``results``.
    """
    from app.drafting.service import create_draft

    def one() -> None:
        svc = make_services()
        ahead: list[int] = []
        started = time.monotonic()
        try:
            me = svc.accounts.authenticate(login, secret)
            create_draft(svc, TASK, identity=me,
                         progress=lambda p: ahead.append(int(p.message.split()[0])) if p.stage == "queued" else None)
            results.append(("ok", time.monotonic() - started, max(ahead, default=0)))
        except Exception as exc:  # noqa: BLE001 - counted
            results.append((f"failed: {type(exc).__name__}: {str(exc)[:120]}", time.monotonic() - started, 0))
        finally:
            svc.close()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
