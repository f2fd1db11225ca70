"""The console's core without Textual: the persistent pool, the probes on real seats,
`labctl status`, and labctl's core never importing Textual."""

import json
import subprocess
import sys
import time

from labctl.cli import main
from labctl.core.pool import Pool

from .conftest import INVENTORY, open_student_session, ssh, wait_for


def test_a_sweep_reads_every_seat_over_persistent_connections(provisioned):
    vroom, _ = provisioned
    pool = Pool(vroom.room, timeout=2.0)
    try:
        first = pool.sweep()
        assert {n: h.state for n, h in first.items()} == {s.name: "online" for s in vroom.room.seats}
        clients = pool.connections()
        time.sleep(0.5)
        second = pool.sweep()
        assert len(clients) == len(vroom.room.seats)
        assert all(pool.connections()[n] is c for n, c in clients.items()), "connections were reopened"
        h = second["it01"]
        assert h.services["ssh"] == "active" and h.host_figures and h.cpu is not None
        assert 0 < h.uptime < 24 * 3600 and 0 < h.disk < 100
    finally:
        pool.close()


def test_the_probe_agent_sees_a_student_log_in_and_out_and_is_one_process(provisioned, connector):
    """The pool's probe runs as one agent process a seat, kept between sweeps: it sees a
    student's login (utmp) and logout, and a new connection starts a new agent while the
    old one ends with its channel."""
    vroom, _ = provisioned
    seat = vroom.room.seat("it03")
    pool = Pool(vroom.room, timeout=3.0)
    agents = "pgrep -u {} -f '^python3 -I -c' | sort".format(connector.user)
    try:
        assert pool.sweep()["it03"].users == []
        first = ssh(connector, seat, agents).stdout.split()
        assert len(first) == 1, first
        client = open_student_session(connector, seat)
        try:
            assert wait_for(lambda: pool.sweep()["it03"].users == ["student"], 10, 0.5)
            assert ssh(connector, seat, agents).stdout.split() == first, "one agent, kept"
        finally:
            client.close()
        assert wait_for(lambda: pool.sweep()["it03"].users == [], 10, 0.5)
    finally:
        pool.close()
    assert wait_for(lambda: not ssh(connector, seat, agents).stdout.strip(), 10), \
        "the agent outlived its connection"


def test_a_dead_seat_is_unreachable_fast_and_comes_back_on_its_own(provisioned):
    vroom, _ = provisioned
    seat = vroom.room.seat("it04")
    pool = Pool(vroom.room, timeout=2.0)
    try:
        assert pool.sweep()["it04"].state == "online"
        vroom.stop_seat(seat)
        # one sweep is enough to see it (the sweep's own deadline bounds how long it waits;
        # how long that takes is bench/health.py's to measure, not a test's)
        sweep = pool.sweep()
        assert sweep["it04"].state == "unreachable" and sweep["it04"].error
        assert sweep["it01"].state == "online"
        vroom.start_seat(seat)
        assert wait_for(lambda: pool.sweep()["it04"].state == "online", 90, 0.5)
    finally:
        if not vroom.powered([seat])[seat.name]:
            vroom.start_seat(seat)
        pool.close()


def test_labctl_status_json(provisioned, capsys):
    assert main(["status", "--json", "-i", str(INVENTORY)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seat"] for r in rows] == ["itsrv", "it01", "it02", "it03", "it04"]
    assert all(r["state"] in ("online", "non-compliant") for r in rows)
    assert rows[1]["row"] == 1 and rows[1]["host_figures"] is True


def test_the_core_never_imports_textual():
    code = ("import sys, pkgutil, importlib, labctl.core as c\n"
            "for m in pkgutil.iter_modules(c.__path__): importlib.import_module('labctl.core.' + m.name)\n"
            "print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_labctl_status_over_two_rooms_names_each_seats_room(provisioned, capsys, tmp_path):
    """-i more than once: a campus's rooms in one answer. The second room here is a copy of
    the test room's inventory under another name (the same seats, swept twice)."""
    from tests.vroom import copy_inventory
    other = copy_inventory(tmp_path / "other")
    room_vars = other / "group_vars" / "all" / "room.yml"
    room_vars.write_text(room_vars.read_text().replace("lab_room_name: itest",
                                                       "lab_room_name: itest2"))
    # a room of its own has a state of its own: no key recorded for these seats, so none
    # is borrowed from the other room, and its seats are not reached
    assert main(["status", "--json", "-i", str(INVENTORY), "-i", str(other)]) == 1
    rows = json.loads(capsys.readouterr().out)
    alone = [r for r in rows if r["room"] == "itest2"]
    assert len(alone) == 5 and all(r["state"] == "offline" and "rooms/itest2/known_hosts"
                                   in r["error"] for r in alone), alone
    # the same seats under a second name, sharing the room's state (lab_state_dir)
    with open(room_vars, "a") as f:
        f.write(f"lab_state_dir: {provisioned[0].room.state.dir}\n")
    assert main(["status", "--json", "-i", str(INVENTORY), "-i", str(other)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["room"], r["seat"]) for r in rows] == [
        (room, seat) for room in ("itest", "itest2")
        for seat in ("itsrv", "it01", "it02", "it03", "it04")]
    assert main(["status", "-i", str(INVENTORY), "-i", str(other)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["room", "seat", "where"]
    assert sum(line.startswith("itest2 ") for line in table) == 5


def test_the_status_table_lines_up_in_chinese(provisioned, capsys):
    """Chinese labels take two cells each: every row's state column starts in the same
    cell as its header's (the table was padded by characters, and misaligned)."""
    import re

    from rich.cells import cell_len
    main(["--lang", "zh_CN", "status", "-i", str(INVENTORY)])
    lines = [line for line in capsys.readouterr().out.splitlines()
             if line.startswith(("座位", "it"))]
    assert lines[0].startswith("座位") and len(lines) == 6, lines

    def third_column(line: str) -> int:
        start = [m.start() for m in re.finditer(r"\S+", line)][2]
        return cell_len(line[:start])
    assert len({third_column(line) for line in lines}) == 1, "\n".join(lines)
