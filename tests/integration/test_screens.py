"""The students' screens through Veyon on the test room (docs/classroom.md).

Veyon's service runs on every terminal with the room's public key and no private key; a
student's PC cannot reach it, the admin host can; with a student's graphical session up
(LightDM's autologin on it03), a screenshot through Veyon is the student's real desktop; a
lock and a message are shown on the student's screen (Debian 12's Veyon 4.7.5 with the
role's lock screen fix) and reported done only when Veyon's own picture of the screen shows
them; the unlock brings the desktop back; a seat that holds another key is refused and says
so; every action is in the audit log; the console's keys do the same, and its detail pane
draws the screenshot."""

import io
import os
import socket
import stat
import time
from pathlib import Path

import pytest
from PIL import Image

from labctl.cli import main
from labctl.core import audit, veyon
from labctl.core.inventory import render_vars
from labctl.core.playbook import run_playbook
from labctl.tui.app import LabConsole

from .conftest import INVENTORY, ssh, wait_for

AUTOLOGIN = "/etc/lightdm/lightdm.conf.d/99-test-autologin.conf"


@pytest.fixture(scope="module")
def desktop(provisioned, connector):
    """A student logged in at it03's screen (LightDM's autologin, as a typed password would),
    with Veyon's server in the session, for the module's tests; logged out afterwards. Once
    for all of them: LightDM restarted again and again here leaves Veyon 4.7.5's service now
    and then without a server for the new session (docs/classroom.md)."""
    vroom, _ = provisioned
    seat = vroom.room.seat("it03")
    assert ssh(connector, seat, f"printf '[Seat:*]\\nautologin-user=student\\n"
                                f"autologin-user-timeout=0\\n' | sudo tee {AUTOLOGIN} && "
                                "sudo systemctl restart lightdm").ok
    try:
        assert wait_for(lambda: ssh(connector, seat, "pgrep -u student -x xfce4-session && "
                                                     "pgrep -x veyon-server").ok, 90), \
            "no student session with Veyon's server: " + ssh(
                connector, seat, "loginctl list-sessions; pgrep -a veyon").stdout
        yield seat
    finally:
        assert ssh(connector, seat, f"sudo rm -f {AUTOLOGIN} && sudo systemctl restart lightdm").ok


def private_key() -> str:
    return render_vars(INVENTORY, ["it01"], ["vault_lab_veyon_private_key"])["it01"][
        "vault_lab_veyon_private_key"]


def screens(capsys, *args) -> dict:
    code = main(["screens", *args, "-i", str(INVENTORY), "--json"])
    out = capsys.readouterr().out
    got = __import__("json").loads(out.strip().splitlines()[-1])
    assert code == (0 if got["ok"] else 1)
    return {r["seat"]: r for r in got["results"]}


def test_veyon_runs_on_every_terminal_with_the_rooms_public_key_only(provisioned, connector):
    vroom, _ = provisioned
    key = veyon.key_name("itest")
    public = veyon.public_key(private_key()).strip()
    for seat in vroom.room.terminals:
        got = ssh(connector, seat, f"systemctl is-active veyon lab-veyon-firewall && "
                                   f"sudo cat /etc/veyon/keys/public/{key}/key && "
                                   "sudo find /etc/veyon -path '*private*' -type f | wc -l && "
                                   "sudo nft list table inet lab_veyon")
        assert got.ok, f"{seat.name}: {got.stderr}"
        assert public in got.stdout, f"{seat.name} does not hold the room's public key"
        assert "\n0\n" in got.stdout, f"{seat.name} holds a private key"
        assert "ip saddr 10.78.0.1 accept" in got.stdout and "drop" in got.stdout
        # the lock screen fix: root's files in root's directories, Debian's worker kept aside
        got = ssh(connector, seat, "stat -c '%U %a %n' /usr/local/lib/labctl "
                                   "/usr/local/lib/labctl/lab-veyon-raise.so /usr/bin/veyon-worker "
                                   "/usr/bin/veyon-worker.distrib && dpkg-divert --list /usr/bin/veyon-worker")
        assert got.ok, f"{seat.name}: {got.stderr}"
        assert [line.split()[:2] for line in got.stdout.splitlines()[:4]] == [
            ["root", "755"], ["root", "644"], ["root", "755"], ["root", "755"]], got.stdout
        assert "veyon-worker.distrib by labctl" in got.stdout


def test_a_students_pc_cannot_reach_veyon_the_admin_host_can(provisioned, connector, desktop):
    vroom, _ = provisioned
    it03, it04 = desktop, vroom.room.seat("it04")
    probe = f"timeout 3 bash -c '</dev/tcp/{it03.ip}/{veyon.PORT}' && echo reached"
    assert "reached" not in ssh(connector, it04, probe).stdout, "another terminal reached it03's Veyon"
    with socket.create_connection((str(it03.ip), veyon.PORT), timeout=3):
        pass  # the admin host reaches it03's Veyon (an OSError here says it cannot)


def test_a_screenshot_is_the_students_desktop_the_lock_and_the_message_are_shown(
        provisioned, connector, capsys, desktop):
    vroom, _ = provisioned
    shot = screens(capsys, "shot", "--seats", "it03")["it03"]
    assert shot["outcome"] == "ok", shot
    path = Path(shot["path"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.is_relative_to(
        vroom.room.state.dir)
    picture = path.read_bytes()
    image = Image.open(io.BytesIO(picture)).convert("RGB")
    assert image.size[0] >= 640 and len(image.getcolors(1 << 20)) > 500, \
        "the screenshot is not a drawn desktop"
    for action, extra in (("lock", []), ("message", ["请保存作业"])):
        result = screens(capsys, action, *extra, "--seats", "it03")["it03"]
        assert result["outcome"] == "ok", result
        after = Path(screens(capsys, "shot", "--seats", "it03")["it03"]["path"]).read_bytes()
        assert veyon.changed(picture, after) >= veyon.SHOWN[action], "Veyon's picture does not show it"
        if action == "lock":  # the worker that drew it is Debian's, with the fix loaded
            maps = ssh(connector, desktop, "pid=$(pgrep -n -f '^/usr/bin/veyon-worker[.]distrib "
                                           f"[{{]{veyon.SCREEN_LOCK}') && sudo grep -c lab-veyon-raise /proc/$pid/maps")
            assert maps.ok and int(maps.stdout) > 0, maps
        assert screens(capsys, "unlock", "--seats", "it03")["it03"]["outcome"] == "ok"
        if action == "lock":  # the desktop is back
            back = Path(screens(capsys, "shot", "--seats", "it03")["it03"]["path"]).read_bytes()
            assert veyon.changed(picture, back) < veyon.SHOWN["lock"], "the lock screen stayed"
    events = [(e.action, e.outcome) for e in audit.events("itest", "it03", limit=10)]
    for action in ("screens shot", "screens lock", "screens message", "screens unlock"):
        assert any(a == action for a, _o in events), (action, events)


def test_a_seat_with_another_key_is_refused_and_a_seat_without_a_session_says_so(
        provisioned, connector, capsys, desktop):
    vroom, _ = provisioned
    it03 = vroom.room.seat("it03")
    path = f"/etc/veyon/keys/public/{veyon.key_name('itest')}/key"
    other = veyon.public_key(veyon.make_key())
    assert ssh(connector, it03, f"sudo cp {path} {path}.saved && "
                                f"echo '{other}' | sudo tee {path} >/dev/null").ok
    try:
        start = time.monotonic()
        results = screens(capsys, "lock", "--seats", "it03,it02")
        assert time.monotonic() - start < 15
    finally:
        assert ssh(connector, it03, f"sudo mv {path}.saved {path}").ok
    assert results["it03"]["outcome"] == "failed"
    assert "does not accept the room's key" in results["it03"]["reason"]
    assert results["it02"]["outcome"] == "failed"
    assert "Veyon does not answer" in results["it02"]["reason"]


async def test_the_console_takes_a_screenshot_into_the_detail_pane_and_locks_with_a_question(
        provisioned, connector, desktop):
    from labctl.core.pool import Pool
    from labctl.core.power import power_states
    from labctl.tui.widgets import DetailPane
    vroom, _ = provisioned
    room = vroom.room
    it03 = room.seat("it03")
    pool = Pool(room, timeout=2.0)
    app = LabConsole(room, pool.sweep, power_states(room), interval=1.0)
    try:
        async with app.run_test(size=(140, 60)) as pilot:
            await pilot.click("#seat-it03")
            assert app.cursor == "it03"
            await pilot.press("v")
            pane = app.query_one("#detail", DetailPane)

            def shown():
                return "screenshots/it03-" in str(pane.query_one("#detail-screen").render())
            deadline = time.monotonic() + 60
            while not shown() and time.monotonic() < deadline:
                await pilot.pause(0.2)
            assert shown(), "the screenshot's path is not in the detail pane"
            await pilot.press("k")
            deadline = time.monotonic() + 5
            while app.screen.__class__.__name__ != "ConfirmScreen" and time.monotonic() < deadline:
                await pilot.pause(0.1)
            assert "it03" in str(app.screen.question)
            await pilot.press("y")

            def logged():
                return [str(line.text) for line in app.query_one("#progress").lines
                        if "it03" in str(line.text) and ("锁屏" in str(line.text) or "lock" in str(line.text))]
            deadline = time.monotonic() + 60
            while not logged() and time.monotonic() < deadline:
                await pilot.pause(0.2)
            assert logged(), "the lock's result is not in the console's log"
    finally:
        pool.close()
        veyon.act(room, [it03], "unlock")
    assert os.path.exists(room.state.dir / "veyon" / "screenshots")


def test_the_lock_screen_fix_comes_off_and_back_with_its_variable(provisioned, connector):
    """lab_veyon_lock_fix: false puts Debian's worker back in its place and removes the
    library; a wrong checksum then installs nothing; on again, the wrapper is back."""
    vroom, _ = provisioned
    it04 = vroom.room.seat("it04")
    probe = ("head -c 4 /usr/bin/veyon-worker | od -An -c | tr -d ' '; "
             "ls /usr/bin/veyon-worker.distrib /usr/local/lib/labctl/lab-veyon-raise.so 2>/dev/null | wc -l; "
             "dpkg-divert --list /usr/bin/veyon-worker | wc -l")

    def play(*extra):
        return run_playbook(INVENTORY, "terminals.yml", limit="it04",
                            extra_args=[*extra, "--tags", "lab_veyon"])
    try:
        assert play("-e", '{"lab_veyon_lock_fix": false}').succeeded
        assert ssh(connector, it04, probe).stdout.split() == ["177ELF", "0", "0"], "not Debian's worker"
        bad = play("-e", "lab_veyon_lock_fix_checksum=sha256:" + "0" * 64)
        assert not bad.succeeded and "checksum" in bad.output.lower()
        assert ssh(connector, it04, probe).stdout.split() == ["177ELF", "0", "0"], "changed on a bad checksum"
    finally:
        back = play()
    assert back.succeeded
    assert ssh(connector, it04, probe).stdout.split() == ["#!/b", "2", "1"], "the fix is not back"
