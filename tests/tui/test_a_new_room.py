"""A room made by `labctl room init` from a 48-seat spreadsheet (two Windows seats among
them) validates as written, and the console draws it as the room is laid out: 6 rows of 8."""

import openpyxl

from labctl.cli import main
from labctl.core import health, paths
from labctl.core.inventory import load_room
from labctl.tui.app import LabConsole


async def test_a_48_seat_spreadsheet_becomes_a_room_the_console_draws_6_by_8(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "ROOMS", tmp_path / "rooms")
    monkeypatch.setattr(paths, "AUDIT_DB", tmp_path / "audit.sqlite")
    book = openpyxl.Workbook()
    book.active.append(["计算机名", "MAC地址", "排", "列", "操作系统"])
    book.active.append(["b305-srv", "00:1e:67:40:00:10", None, None, "服务器"])
    for row in range(1, 7):
        for column in range(1, 9):
            windows = (row, column) in ((1, 1), (6, 8))
            book.active.append([f"b305-{row}{column}", f"00:1e:67:40:{row:02x}:{column:02x}",
                                row, column, "windows" if windows else "linux"])
    book.save(tmp_path / "b305.xlsx")
    out = tmp_path / "b305"
    assert main(["room", "init", "b305", "--seats", str(tmp_path / "b305.xlsx"),
                 "--subnet", "10.40.0.0/24", "--out", str(out)]) == 0
    assert main(["validate", "-i", str(out)]) == 0
    room = load_room(out)
    assert (room.rows, room.columns, len(room.terminals)) == (6, 8, 48)
    assert sorted(s.name for s in room.terminals if s.os_family == "windows") == ["b305-11", "b305-68"]

    def sweep():
        return {s.name: health.Health(s.name, "unreachable", error="not installed yet")
                for s in room.seats}

    app = LabConsole(room, sweep, lambda: {s.name: False for s in room.seats}, interval=3600)
    async with app.run_test(size=(200, 60)) as pilot:
        while not app.sweeps:
            await pilot.pause(0.05)
        where = {s.name: app.tile(s.name).region for s in room.terminals}
        for seat in room.terminals:
            same_row = [where[o.name].y for o in room.terminals if o.row == seat.row]
            same_column = [where[o.name].x for o in room.terminals if o.column == seat.column]
            assert set(same_row) == {where[seat.name].y} and set(same_column) == {where[seat.name].x}
        rows = sorted({where[s.name].y for s in room.terminals})
        columns = sorted({where[s.name].x for s in room.terminals})
        assert len(rows) == 6 and len(columns) == 8
        first = room.seat("b305-11")
        last = room.seat("b305-68")
        assert (where[first.name].y, where[first.name].x) == (rows[0], columns[0])
        assert (where[last.name].y, where[last.name].x) == (rows[-1], columns[-1])
