"""The console through Textual's pilot, against the real virtual room."""

import asyncio
import time

from labctl.core.power import power_states
from labctl.core import audit
from labctl.core.pool import Pool
from labctl.tui.app import LabConsole

from tests.vroom import ssh

SIZE = (140, 45)


async def until(pilot, predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.1)
    return False


def confirming(app) -> bool:
    return app.screen.__class__.__name__ == "ConfirmScreen"


async def asked(pilot, app, *keys, seat: str | None = None) -> str:
    """Pick `seat` with the mouse (if given), press `keys`, and return the question the
    console then asks (a confirmation must come within 5 s)."""
    if seat:
        await pilot.click(f"#seat-{seat}")
    await pilot.press(*keys)
    assert await until(pilot, lambda: confirming(app), 5), f"no question after {keys}"
    return str(app.screen.question)


def console(room, interval=1.0):
    pool = Pool(room, timeout=2.0)
    return LabConsole(room, pool.sweep, power_states(room), interval=interval), pool


async def test_select_a_seat_and_reset_it_with_the_keys(provisioned, connector):
    vroom, _ = provisioned
    room = vroom.room
    it02 = room.seat("it02")
    assert ssh(connector, it02, "sudo -u student sh -c 'echo notes > ~/left-behind.txt'").ok
    app, pool = console(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.views.get("it02")
                               and app.views["it02"].health.state == "online")
            await pilot.press("right")
            assert app.cursor == "it02"
            await asked(pilot, app, "r")
            await pilot.press("y")
            assert await until(pilot, lambda: app.busy.get("it02") == "reset", 5), "no progress shown"
            assert await until(pilot, lambda: "it02" not in app.busy, 120)
            log = "\n".join(str(line.text) for line in app.query_one("#progress").lines)
            assert "it02: ok" in log, log
            assert await until(pilot, lambda: "reset 0m✔" in str(app.tile("it02").render()), 10)
    finally:
        pool.close()
    assert not ssh(connector, it02, "sudo test -e /home/student/left-behind.txt").ok
    assert audit.events(room.name, "it02", limit=1)[0].outcome == "ok"


async def test_a_stopped_seat_goes_offline_within_two_refreshes_and_wakes_on_lan(provisioned):
    vroom, _ = provisioned
    room = vroom.room
    it03 = room.seat("it03")
    app, pool = console(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.views.get("it03") and app.views["it03"].state
                               in ("online", "non-compliant"))
            await asyncio.to_thread(vroom.stop_seat, it03)
            stopped_at = app.sweeps
            assert await until(pilot, lambda: app.views["it03"].state in ("offline", "unreachable"), 20)
            assert app.sweeps - stopped_at <= 2, f"took {app.sweeps - stopped_at} refreshes"
            assert app.views["it01"].state in ("online", "non-compliant"), "the others are unaffected"
            await pilot.click("#seat-it03")
            assert app.cursor == "it03"
            await pilot.press("w")                  # a real magic packet to the room's broadcast
            assert await until(pilot, lambda: app.views["it03"].health.state == "online", 90), \
                "it03 did not come back by Wake-on-LAN"
    finally:
        pool.close()
    assert audit.events(room.name, "it03", limit=1)[0].action == "wake"


async def test_help_and_log_screens_open_and_close(provisioned):
    vroom, _ = provisioned
    app, pool = console(vroom.room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("question_mark")
            assert app.screen.__class__.__name__ == "HelpScreen"
            await pilot.press("escape")
            await pilot.press("l")
            assert app.screen.__class__.__name__ == "LogScreen"
            assert app.screen.query_one("DataTable").row_count > 0
            await pilot.press("escape")
            assert app.screen.__class__.__name__ == "Screen"
    finally:
        pool.close()


async def test_text_from_a_seat_is_shown_as_text_not_markup(provisioned):
    """A failed action's detail comes from a seat (lab-reset names the files a student
    left, with the names the student gave them): markup in it, even an action, is shown
    as it is, and clicking it does nothing."""
    vroom, _ = provisioned
    room = vroom.room
    hostile = "left in /home/student: [@click=app.quit]q[/] [b]x[/b]"
    audit.record_event(room.name, "provision", "it01", "failed", hostile)
    app, pool = console(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.views.get("it01") is not None)
            body = app.query_one("#detail-body")
            assert await until(pilot, lambda: "[@click=app.quit]q[/]" in str(body.render())), \
                str(body.render())
            await pilot.click("#detail-body")
            await pilot.pause(0.3)
            assert app.is_running, "a seat's text ran an action"
            await pilot.press("l")
            assert await until(pilot, lambda: app.screen.__class__.__name__ == "LogScreen", 5)
            from textual.widgets import DataTable
            table = app.screen.query_one(DataTable)
            cells = [str(c) for row in range(table.row_count) for c in table.get_row_at(row)]
            assert any("[@click=app.quit]q[/]" in c for c in cells), cells[:12]
    finally:
        pool.close()


async def test_a_seat_whose_sshd_stops_under_an_open_console_is_unreachable_within_two_sweeps(
        provisioned, connector):
    """The console's session to the seat outlives its sshd; the teacher must still see that
    nobody can log in (nor reset it) there."""
    from labctl.core.ssh import run
    vroom, _ = provisioned
    room = vroom.room
    it04 = room.seat("it04")
    kept = connector.connect(it04.name, str(it04.ip))  # to start sshd again afterwards
    app, pool = console(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.views.get("it04")
                               and app.views["it04"].health.state == "online")
            assert run(kept, "sudo systemctl stop ssh").ok
            stopped_at = app.sweeps
            assert await until(pilot, lambda: app.views["it04"].state == "unreachable", 60)
            assert app.sweeps - stopped_at <= 3, "more than two refreshes (and the one under way)"
            assert "no new login works" in app.views["it04"].health.error
            assert "unreachable" in str(app.tile("it04").border_title)
    finally:
        pool.close()
        run(kept, "sudo systemctl start ssh")
        kept.close()
    assert ssh(connector, it04, "true").ok


def log_text(app) -> str:
    return "\n".join(str(line.text) for line in app.query_one("#progress").lines)


async def test_an_action_that_fails_is_shown_and_its_seats_leave_their_busy_state(
        provisioned, monkeypatch):
    """A check whose suite blows up (made to, here): the teacher sees why, in a notification
    and the log, and no seat stays 'checking' for ever."""
    import labctl.core.check

    def explode(*args, **kwargs):
        raise RuntimeError("the compliance suite exploded")

    monkeypatch.setattr(labctl.core.check, "run_check", explode)
    vroom, _ = provisioned
    app, pool = console(vroom.room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.sweeps >= 1)
            await pilot.press("c")
            assert await until(pilot, lambda: "the compliance suite exploded" in log_text(app), 20), \
                log_text(app)
            assert "check failed: RuntimeError" in log_text(app)
            assert await until(pilot, lambda: not app.busy, 10), app.busy
            assert await until(pilot, lambda: all(v.state != "checking" for v in app.views.values()), 10)
            assert app.is_running
    finally:
        pool.close()


async def test_a_sweep_that_fails_is_shown_and_the_polling_goes_on(provisioned):
    vroom, _ = provisioned
    pool = Pool(vroom.room, timeout=2.0)
    calls = {"n": 0}

    def sweep():
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("the admin host ran out of file descriptors")
        return pool.sweep()

    app = LabConsole(vroom.room, sweep, power_states(vroom.room), interval=0.5)
    try:
        async with app.run_test(size=SIZE) as pilot:
            notice = app.query_one("#notice")
            assert await until(pilot, lambda: "health not current" in str(notice.render()), 30)
            assert "ran out of file descriptors" in log_text(app)
            seen = app.sweeps
            assert await until(pilot, lambda: app.sweeps >= seen + 2, 30), "polling stopped"
            assert "health not current" not in str(notice.render())
    finally:
        pool.close()


async def test_a_reset_with_a_student_logged_in_asks_again_then_forces(provisioned, connector):
    """The one policy of core.reset, through the console: during a class a logged-in student
    stops the reset, the teacher is asked about that seat, and a yes resets it."""
    from tests.vroom import open_student_session
    vroom, _ = provisioned
    room = vroom.room
    it03 = room.seat("it03")
    student = open_student_session(connector, it03)
    app, pool = console(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.views.get("it03") is not None)
            await pilot.click("#seat-it03")  # the teacher picks the seat with the mouse
            assert await until(pilot, lambda: app.cursor == "it03", 5)
            await asked(pilot, app, "r")
            await pilot.press("y")
            assert await until(pilot, lambda: confirming(app) and "still logged in on it03" in str(app.screen.question), 60), \
                log_text(app)
            assert "it03: refused" in log_text(app)
            await pilot.press("y")
            assert await until(pilot, lambda: "it03: ok" in log_text(app), 120), log_text(app)
            assert await until(pilot, lambda: "it03" not in app.busy, 10)
    finally:
        pool.close()
        student.close()
    assert not ssh(connector, it03, "sudo test -e /home/student/unsaved.txt").ok
    assert audit.events(room.name, "it03", limit=1)[0].outcome == "ok"
