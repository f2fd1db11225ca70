"""Pictures of the console at a fixed size, from health probes recorded on real seats
(tests/unit/probes) and an empty audit log, so the picture depends on nothing live."""

from pathlib import Path

import pytest

from labctl.core import health, paths
from labctl.core.inventory import load_room
from labctl.tui.app import LabConsole

ROOT = Path(__file__).resolve().parents[2]
PROBES = ROOT / "tests" / "unit" / "probes"


@pytest.fixture
def app(tmp_path, monkeypatch):
    return offline_console(tmp_path, monkeypatch)


def offline_console(tmp_path, monkeypatch) -> LabConsole:
    """The demo room's console on recorded probes (pc07 unreachable, pc12 off)."""
    monkeypatch.setattr(paths, "AUDIT_DB", tmp_path / "audit.sqlite")
    room = load_room(ROOT / "inventory" / "demo")
    samples = {"pc03": "it02-student-mariadb-stopped.txt"}

    def sweep():
        out = {}
        for seat in room.seats:
            if seat.name == "pc07":
                out[seat.name] = health.Health(seat.name, "unreachable",
                                               error="10.77.0.107 did not answer within 2 s")
                continue
            text = (PROBES / samples.get(seat.name, "it01-container.txt")).read_text()
            out[seat.name] = health.parse(seat.name, text)
        return out

    return LabConsole(room, sweep, lambda: {s.name: s.name != "pc12" for s in room.seats},
                      interval=3600)


async def shown(pilot):
    while not pilot.app.sweeps:
        await pilot.pause(0.05)


def test_the_room_map(app, snap_compare):
    assert snap_compare(app, terminal_size=(140, 45), run_before=shown)


def test_the_help_screen(app, snap_compare):
    async def help_open(pilot):
        await shown(pilot)
        await pilot.press("question_mark")
    assert snap_compare(app, terminal_size=(140, 45), run_before=help_open)


def test_a_confirmation_for_a_row_reset(app, snap_compare):
    async def ask(pilot):
        await shown(pilot)
        await pilot.press("down", "R")
    assert snap_compare(app, terminal_size=(140, 45), run_before=ask)
