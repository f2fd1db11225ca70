"""The detail pane's audit record (last check, recent failures) is read off the UI thread:
a slow audit store leaves the room map answering the keys, and the pane says "…" until
the record arrives."""

import threading
import time

from labctl.core import audit
from tests.tui.test_snapshots import offline_console, shown


async def test_a_slow_audit_store_never_stops_the_keys(tmp_path, monkeypatch):
    app = offline_console(tmp_path, monkeypatch)
    slow = threading.Event()
    real = audit.seat_checks

    def seat_checks(room, seat, db=None):
        if slow.is_set():
            time.sleep(1.5)  # a busy disk, a locked database
        return real(room, seat, db)

    monkeypatch.setattr(audit, "seat_checks", seat_checks)
    async with app.run_test(size=(140, 45)) as pilot:
        await shown(pilot)
        slow.set()
        before = app.cursor
        started = time.monotonic()
        await pilot.press("right")
        await pilot.pause(0.05)
        assert app.cursor != before and time.monotonic() - started < 1.0, \
            "the key waited for the audit store"
        body = app.query_one("#detail-body")
        assert "…" in str(body.render())
        deadline = time.monotonic() + 10
        while "…" in str(body.render()) and time.monotonic() < deadline:
            await pilot.pause(0.1)
        assert "…" not in str(body.render()) and "none" in str(body.render())
