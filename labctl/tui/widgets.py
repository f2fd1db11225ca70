"""The room map's pieces: a tile per seat, the map laid out like the room, the detail pane."""

from __future__ import annotations

from rich.text import Text
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.markup import escape
from textual.widgets import Sparkline, Static

from labctl.core import audit
from labctl.core.health import FULL, fullest, human_uptime
from labctl.core.room import Room, Seat
from labctl.core.status import SeatView, ago
from labctl.i18n import _

BUSY = ("resetting", "rebooting", "waking", "checking", "provisioning", "shutting down")
ICON = {"online": "●", "student": "◉", "offline": "○", "unreachable": "✘",
        "non-compliant": "▲", "disk full": "■"}


def figure(value) -> str:
    return "-" if value is None else f"{value:.0f}%"


class SeatTile(Static):
    """One seat: its name and state in the border, its figures inside."""

    class Clicked(Message):
        def __init__(self, seat: str) -> None:
            super().__init__()
            self.seat = seat

    def __init__(self, seat: Seat) -> None:
        super().__init__("", id=f"seat-{seat.name}")
        self.seat = seat
        self.state = "unreachable"
        self.border_title = seat.name

    def show(self, view: SeatView, progress: str = "") -> None:
        h = view.health
        self.state = view.state
        for cls in list(self.classes):
            if cls.startswith("state-"):
                self.remove_class(cls)
        self.add_class("state-busy" if view.state in BUSY else f"state-{view.state.replace(' ', '-')}")
        self.border_title = f"{self.seat.name} {ICON.get(view.state, '◌')} {_(view.state)}"
        user = escape(", ".join(h.users)) or "-"  # text from the seat: never markup
        reset = view.last_reset
        check = view.last_check
        worst = fullest(h)
        disk = figure(worst[1] if worst else None) + (
            f" {escape(worst[0])}" if worst and worst[0] != "/" and worst[1] >= FULL else "")
        lines = [
            f"CPU {figure(h.cpu)} MEM {figure(h.memory)}",
            f"DSK {disk} {_('up')} {human_uptime(h.uptime)}",
            f"{_('user')}: {user}",
            f"{_('reset')} {ago(reset.at) if reset else '-'}"
            f"{'✔' if reset and reset.outcome == 'ok' else '✘' if reset else ''} "
            f"{_('check')} {ago(check['at']) if check else '-'}"
            f"{'' if not check else '✔' if not check['failed'] else '✘'}",
        ]
        if progress:
            lines[-1] = escape(progress[:60])
        self.update("\n".join(lines))

    def on_click(self) -> None:
        self.post_message(self.Clicked(self.seat.name))


class EmptySeat(Static):
    """A place in the grid without a seat."""


class RoomMap(Vertical):
    """The terminals in their rows and columns, the front of the room on top, servers below."""

    def __init__(self, room: Room) -> None:
        super().__init__(id="map")
        self.room = room

    def compose(self):
        yield Static("▼ " + _("front: teacher desk, projector") + " ▼", id="front")
        grid = Grid(id="grid")
        grid.styles.grid_size_columns = self.room.columns
        grid.styles.grid_size_rows = self.room.rows
        with grid:
            places = {(s.row, s.column): s for s in self.room.terminals if s.row}
            for row in range(1, self.room.rows + 1):
                for column in range(1, self.room.columns + 1):
                    seat = places.get((row, column))
                    yield SeatTile(seat) if seat else EmptySeat("")
        with Horizontal(id="servers"):
            for seat in self.room.servers:
                yield SeatTile(seat)


class DetailPane(Vertical):
    """The selected seat: services, browsers, recent CPU, last failures."""

    def compose(self):
        yield Static("", id="detail-head")
        yield Sparkline([], id="detail-sparkline")
        yield Static("", id="detail-body")
        yield Static("", id="detail-screen")

    def show(self, view: SeatView | None, record: tuple | None = None) -> None:
        """The seat's view, and its audit record (detail_record) once read: until then the
        parts that come from the audit store say so."""
        if view is None:
            return
        h, seat = view.health, view.seat
        self.border_title = seat.name
        where = _("server") if not seat.is_terminal else f"{_('row')} {seat.row}, {seat.column}"
        self.query_one("#detail-head", Static).update(
            f"[b]{seat.name}[/b] · {seat.ip} · {seat.mac} · {where}\n"
            f"{_('state')}: {_(view.state)}" + (f" — {escape(h.error[:80])}" if h.error else "")
            + f"\n\n{_('recent CPU')}:")
        self.query_one("#detail-sparkline", Sparkline).data = view.history
        if record is None:
            self.query_one("#detail-body", Static).update(
                f"{_('services')}: {escape(self._services(h))}\n{_('browsers')}: …\n\n"
                f"{_('last failures')}: …")
            return
        checks, events = record
        web = {c: o for c, o, _m in checks if c.startswith("LAB-WEB-0")}
        engines = [("Chromium", "LAB-WEB-01"), ("Firefox", "LAB-WEB-02"), ("WebKit", "LAB-WEB-03")]
        browsers = "  ".join(f"{name} {'✔' if web.get(c) == 'passed' else '✘' if c in web else '?'}"
                             for name, c in engines) + "  IE —"
        services = self._services(h)
        failures = [f"{c} {m.splitlines()[0][:50] if m else ''}"
                    for c, o, m in checks if o not in ("passed", "skipped")][:4]
        failures += [f"{_(e.action)}: {e.detail.splitlines()[0][:50] if e.detail else ''}"
                     for e in events]
        # services, check messages and event details come from the seats: escaped, so that
        # nothing a student can make a seat say is read as markup (or a [@click] action)
        self.query_one("#detail-body", Static).update(
            f"{_('services')}: {escape(services)}\n{_('browsers')}: {browsers}\n\n"
            f"{_('last failures')}:\n  "
            + ("\n  ".join(escape(f) for f in failures) if failures else _("none")))

    def show_screen(self, seat: str, result) -> None:
        """The seat's latest screenshot through Veyon (core.veyon.ScreenResult): drawn in
        half-block characters, with the PNG's path; or why there is none."""
        screen = self.query_one("#detail-screen", Static)
        if result.path:
            screen.update(Text.assemble(thumbnail(result.path), (f"\n{seat}: {result.path}", "dim")))
        else:
            screen.update(Text(f"{seat}: {_('Screenshot')} — {result.reason}"))

    @staticmethod
    def _services(h) -> str:
        return "  ".join(f"{k} {'✔' if v == 'active' else '✘ ' + v}"
                         for k, v in h.services.items()) or "-"


def detail_record(room: Room, seat: str) -> tuple:
    """(the seat's last check, its two latest failed events) from the audit store: what the
    detail pane shows of it. A query: call it from a worker."""
    events = [e for e in audit.events(room.name, seat, limit=5) if e.outcome != "ok"][:2]
    return audit.seat_checks(room.name, seat), events


__all__ = ["SeatTile", "EmptySeat", "RoomMap", "DetailPane", "Widget", "detail_record"]


def thumbnail(path: str, width: int = 48) -> Text:
    """A PNG as text: each character cell two pixels, the upper half's colour in front of
    the lower half's (▀), so any colour terminal shows the picture."""
    from PIL import Image
    from rich.color import Color
    from rich.style import Style
    with Image.open(path) as image:
        height = max(2, round(image.height * width / max(image.width, 1) / 4) * 2)
        pixels = image.convert("RGB").resize((width, height)).load()
    text = Text()
    for y in range(0, height, 2):
        for x in range(width):
            text.append("▀", Style(color=Color.from_rgb(*pixels[x, y]),
                                   bgcolor=Color.from_rgb(*pixels[x, y + 1])))
        text.append("\n")
    return text

