"""Every key of the console that acts on seats, driven by the pilot on the virtual room:
space (selection), R (row), A (whole room), b (reboot), s (shut down), c (check) and
p (provision). r, w, l and ? are driven in test_console.py. Each test leaves the room as
it found it."""

from labctl.core import audit

from tests.tui.test_console import SIZE, asked, confirming, console, log_text, until
from tests.vroom import answers, ssh, wait_for


async def test_space_selects_seats_and_c_checks_exactly_them(provisioned):
    vroom, _ = provisioned
    app, pool = console(vroom.room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.sweeps >= 1)
            await pilot.press("space")              # it01, where the cursor starts
            await pilot.press("down", "space")      # it03
            await pilot.press("space")              # and off again
            await pilot.press("space")              # and on
            assert app.selected == {"it01", "it03"}
            assert "selected" in app.tile("it03").classes and "selected" not in app.tile("it02").classes
            await pilot.press("c")
            assert await until(pilot, lambda: app.busy.get("it03") == "checking", 10)
            assert "it02" not in app.busy, "only the selection is checked"
            assert await until(pilot, lambda: "check: 2 of 2 seats compliant" in log_text(app), 300), \
                log_text(app)
            assert not app.busy
    finally:
        pool.close()


async def test_capital_r_resets_the_cursors_row_and_nothing_else(provisioned, connector):
    vroom, _ = provisioned
    room = vroom.room
    for name in ("it01", "it02", "it03"):
        assert ssh(connector, room.seat(name), "sudo -u student touch /home/student/row-test").ok
    app, pool = console(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.sweeps >= 1)
            assert await asked(pilot, app, "R") == "Reset row 1?"  # the cursor is on it01
            await pilot.press("y")
            assert await until(pilot, lambda: "it01: ok" in log_text(app)
                               and "it02: ok" in log_text(app), 180), log_text(app)
            assert await until(pilot, lambda: not app.busy, 10)
            assert "it03" not in log_text(app)
    finally:
        pool.close()
        kept = ssh(connector, room.seat("it03"), "sudo test -e /home/student/row-test").ok
        ssh(connector, room.seat("it03"), "sudo rm -f /home/student/row-test")
    for name in ("it01", "it02"):
        assert not ssh(connector, room.seat(name), "sudo test -e /home/student/row-test").ok, name
    assert kept, "a seat of another row was reset"


async def test_capital_a_asks_about_the_whole_room_and_no_changes_nothing(provisioned, connector):
    vroom, _ = provisioned
    room = vroom.room
    before = len(audit.events(room.name))
    app, pool = console(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.sweeps >= 1)
            assert await asked(pilot, app, "A") == "Reset the whole room?"
            await pilot.press("n")
            assert await until(pilot, lambda: not confirming(app), 5)
            await pilot.pause(1.0)
            assert not app.busy and not app.working
    finally:
        pool.close()
    assert len(audit.events(room.name)) == before, "a refused question did something"


async def test_b_reboots_the_seat_under_the_cursor(provisioned, connector):
    vroom, _ = provisioned
    room = vroom.room
    it03 = room.seat("it03")
    assert ssh(connector, it03, "sudo touch /run/before-reboot").ok
    app, pool = console(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.sweeps >= 1)
            assert await asked(pilot, app, "b", seat="it03") == "Reboot it03?"
            await pilot.press("y")
            assert await until(pilot, lambda: "it03: ok" in log_text(app), 60), log_text(app)
    finally:
        pool.close()
    assert wait_for(lambda: answers(connector, it03, "test ! -e /run/before-reboot"), 120), \
        "it03 did not reboot"
    assert audit.events(room.name, "it03", limit=1)[0].action == "reboot"


async def test_s_warns_the_students_and_schedules_the_power_off(provisioned, connector):
    """The seat is not powered off here: the test cancels the shutdown s scheduled, on a
    session opened before (a scheduled shutdown lets nobody but root log in: /run/nologin)."""
    from labctl.core.ssh import run
    vroom, _ = provisioned
    room = vroom.room
    it02 = room.seat("it02")
    kept = connector.connect(it02.name, str(it02.ip))
    app, pool = console(room)
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.sweeps >= 1)
            assert "Students get a warning first" in await asked(pilot, app, "s", seat="it02")
            await pilot.press("y")
            assert await until(pilot, lambda: "it02: ok" in log_text(app), 60), log_text(app)
        scheduled = run(kept, "cat /run/systemd/shutdown/scheduled").stdout
    finally:
        pool.close()
        run(kept, "sudo shutdown -c")
        cancelled = run(kept, "test ! -e /run/systemd/shutdown/scheduled && test ! -e /run/nologin").ok
        kept.close()
    assert "MODE=poweroff" in scheduled and "please save your work" in scheduled, scheduled
    assert audit.events(room.name, "it02", limit=1)[0].action == "shutdown"
    assert cancelled and ssh(connector, it02, "true").ok


async def test_p_provisions_the_selection_and_shows_each_task(provisioned):
    vroom, _ = provisioned
    room = vroom.room
    app, pool = console(room)
    seen = set()
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: app.sweeps >= 1)
            assert await asked(pilot, app, "space", "p", seat="it04") == \
                "Provision it04 with site.yml?"
            await pilot.press("y")

            def finished() -> bool:
                seen.add(app.progress.get("it04", ""))
                return "provisioning finished" in log_text(app)
            assert await until(pilot, finished, 600), log_text(app)
            assert "provisioning finished: 0 change(s), failed on -" in log_text(app)
            assert not app.busy
    finally:
        pool.close()
    tasks = {s for s in seen if s.startswith("provisioning: ")}
    assert len(tasks) >= 3, f"the tile showed too few of the run's tasks: {tasks}"
    assert audit.events(room.name, "it04", limit=1)[0].action == "provision"
