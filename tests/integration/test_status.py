"""The console's core without Textual: the persistent pool, the probes on real seats,
`labctl status`, and labctl's core never importing Textual."""

import json
import subprocess
import sys
import time

from labctl.cli import main
from labctl.core.pool import Pool

from .conftest import INVENTORY, wait_for


def test_a_sweep_reads_every_seat_over_persistent_connections(provisioned):
    vroom, _ = provisioned
    pool = Pool(vroom.room, timeout=2.0)
    try:
        first = pool.sweep()
        assert {n: h.state for n, h in first.items()} == {s.name: "online" for s in vroom.room.seats}
        clients = dict(pool._clients)
        time.sleep(0.5)
        second = pool.sweep()
        assert all(pool._clients[n] is c for n, c in clients.items()), "connections were reopened"
        h = second["it01"]
        assert h.services["ssh"] == "active" and h.host_figures and h.cpu is not None
        assert 0 < h.uptime < 24 * 3600 and 0 < h.disk < 100
    finally:
        pool.close()


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
