"""labctl's console: the room at a glance during class, and the actions a lab needs.

Everything slow runs in thread workers that post messages; widgets change only in the
message handlers. Health polls never overlap: the next one is scheduled when the last
one has been shown, or has failed. A worker that fails is never silent: the teacher gets
a notification and a line in the log, and the seats it concerned leave their busy state.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import App
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Footer, Header, RichLog, Static
from textual.worker import NoActiveWorker, Worker, WorkerState, get_current_worker

from labctl.core import power, status
from labctl.core.health import Health
from labctl.core.room import Room, Seat
from labctl.core.ssh import Connector
from labctl.i18n import _
from labctl.tui.screens import ConfirmScreen, HelpScreen, LogScreen, TextScreen
from labctl.tui.widgets import DetailPane, RoomMap, SeatTile, detail_record

HISTORY = 30
ACTIONS = {"run_reset": "reset", "run_power": "power", "run_check": "check",
           "run_provision": "provisioning", "run_projector": "projector", "run_screens": "screens"}
PROJECTOR_EVERY = 5  # sweeps between two readings of the projectors' state  # a worker's name -> what the teacher calls it


@dataclass
class Swept(Message):
    healths: dict[str, Health]
    powered: dict[str, bool] | None
    views: list = None  # status.SeatView, built in the worker (it reads the audit store)


@dataclass
class DetailRead(Message):
    """What the audit store says of one seat (its last check, its recent failures): read
    in a worker, never on the UI thread."""

    seat: str
    record: tuple  # (checks, events), as widgets.DetailPane.show takes them


@dataclass
class ProjectorsSeen(Message):
    states: list  # core.projector.ProjectorState


@dataclass
class SweepFailed(Message):
    error: str


@dataclass
class Progress(Message):
    """An action's news about seats: busy state (or "" when done) and a line for the log."""

    seats: list[str]
    busy: str
    line: str = ""


class LabConsole(App):
    CSS_PATH = "console.tcss"
    TITLE = "labctl"
    BINDINGS = [
        Binding("r", "reset('selection')", _("Reset")),
        Binding("R", "reset('row')", _("Row"), show=False),
        Binding("A", "reset('room')", _("Room"), show=False),
        Binding("b", "reboot", _("Reboot")),
        Binding("s", "shutdown", _("Shut down")),
        Binding("w", "wake", _("Wake")),
        Binding("c", "check", _("Check")),
        Binding("p", "provision", _("Provision")),
        Binding("o", "projector", _("Projector")),
        Binding("k", "screens('lock', 'selection')", _("Lock")),
        Binding("K", "screens('lock', 'room')", _("Lock room"), show=False),
        Binding("u", "screens('unlock', 'selection')", _("Unlock")),
        Binding("U", "screens('unlock', 'room')", _("Unlock room"), show=False),
        Binding("m", "message", _("Message")),
        Binding("v", "screenshot", _("Screenshot"), show=False),
        Binding("space", "toggle_select", _("Select")),
        Binding("l", "log", _("Log")),
        Binding("question_mark", "help", _("Help")),
        Binding("q", "quit", _("Quit")),
        Binding("up", "move(-1, 0)", show=False), Binding("down", "move(1, 0)", show=False),
        Binding("left", "move(0, -1)", show=False), Binding("right", "move(0, 1)", show=False),
    ]

    def __init__(self, room: Room, sweep, power_state=None, interval: float = 2.0,
                 connector: Connector | None = None) -> None:
        super().__init__()
        self.room = room
        self.sweep = sweep                      # () -> {seat: Health}
        self.power_state = power_state or (lambda: None)
        self.interval = interval
        self.connector = connector or Connector.for_room(room)
        self.views: dict[str, status.SeatView] = {}
        self.history: dict[str, list[float]] = {}
        self.busy: dict[str, str] = {}
        self.progress: dict[str, str] = {}
        self.cursor = (room.terminals or room.seats)[0].name
        self.selected: set[str] = set()
        self.sweeps = 0
        self.last_sweep_error = ""
        self.working: dict = {}  # a running action's worker -> the seats it made busy
        self.projectors: list = []  # their last state (core.projector.ProjectorState)
        self.details: dict[str, tuple] = {}  # seat -> its audit record (DetailRead)

    # ------------------------------------------------------------ layout
    def compose(self):
        yield Header()
        yield Static("", id="notice")
        with Horizontal(id="body"):
            yield RoomMap(self.room)
            yield DetailPane(id="detail")
        progress = RichLog(id="progress", markup=False, wrap=True)
        progress.can_focus = False  # focused, it took the arrow keys from the room map
        yield progress
        yield Footer()

    def on_mount(self) -> None:
        self.title = _("labctl console — room {room}", room=self.room.name)
        self._mark_cursor()
        self.poll()

    def tile(self, name: str) -> SeatTile:
        return self.query_one(f"#seat-{name}", SeatTile)

    # ------------------------------------------------------------ polling
    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def poll(self) -> None:
        try:
            healths = self.sweep()
            powered = self.power_state()
            views = status.views(self.room, healths, powered, dict(self.busy))  # reads SQLite here
            cursor = self.cursor
            self.post_message(DetailRead(cursor, detail_record(self.room, cursor)))
            if self.room.vars.get("lab_projectors") and self.sweeps % PROJECTOR_EVERY == 0:
                from labctl.core import projector
                self.post_message(ProjectorsSeen(projector.status(self.room, timeout=2.0)))
        except Exception as exc:  # noqa: BLE001 - shown, and the next sweep is scheduled
            self.post_message(SweepFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(Swept(healths, powered, views))

    @on(SweepFailed)
    def sweep_failed(self, message: SweepFailed) -> None:
        try:
            if message.error != self.last_sweep_error:  # once, not every two seconds
                self.notify(_("the health sweep failed: {error}", error=message.error),
                            severity="error", markup=False)
                self.query_one("#progress", RichLog).write(
                    _("the health sweep failed: {error}", error=message.error))
            self.last_sweep_error = message.error
            self.query_one("#notice", Static).update(
                Text(_("health not current: the last sweep failed ({error})", error=message.error)))
        finally:
            self.set_timer(self.interval, self.poll)

    @on(Swept)
    def show_sweep(self, message: Swept) -> None:
        try:
            self.sweeps += 1
            if self.last_sweep_error:
                self.last_sweep_error = ""
                self.query_one("#notice", Static).update("")
            for name, h in message.healths.items():
                if h.cpu is not None:
                    self.history[name] = (self.history.get(name, []) + [h.cpu])[-HISTORY:]
            for view in message.views:
                view.busy = self.busy.get(view.seat.name, "")
                view.state = status.seat_state(view.health, message.powered.get(view.seat.name)
                                               if message.powered else None,
                                               view.busy, view.last_check)
                view.history = self.history.get(view.seat.name, [])
                self.views[view.seat.name] = view
                self.tile(view.seat.name).show(view, self.progress.get(view.seat.name, ""))
            self._show_detail()
            if any(v.health.host_figures for v in message.views):
                self.query_one("#notice", Static).update(_(
                    "CPU and memory of virtual seats are this machine's: a container's /proc is "
                    "the host's"))
        finally:
            self.set_timer(self.interval, self.poll)

    @on(ProjectorsSeen)
    def show_projectors(self, message: ProjectorsSeen) -> None:
        """The front of the room: each projector's power, input, lamp and alarms."""
        self.projectors = message.states
        parts = []
        for p in message.states:
            if p.outcome != "ok":
                parts.append(f"{p.name}: {_('unreachable')}")
                continue
            parts.append(f"{p.name}: {_(p.power)}" + (f" {p.input}" if p.input else "")
                         + (" " + _("lamp {hours} h", hours="/".join(map(str, p.lamp_hours)))
                            if p.lamp_hours else "")
                         + (f" ⚠ {', '.join(p.alarms)}" if p.alarms else ""))
        self.query_one("#front", Static).update(Text(
            "▼ " + _("front: teacher desk") + " · " + " · ".join(parts) + " ▼"))

    # ------------------------------------------------------------ failures
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed action is shown, logged, and its seats leave their busy state."""
        if event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED):
            self.working.pop(event.worker, None)
        if event.state != WorkerState.ERROR or event.worker.group == "poll":
            return
        error = event.worker.error
        seats = self.working.pop(event.worker, [])
        action = ACTIONS.get(event.worker.name, event.worker.name)
        line = _("{action} failed: {error}", action=_(action),
                 error=f"{type(error).__name__}: {error}")
        self.notify(line, severity="error", timeout=30, markup=False)
        self.query_one("#progress", RichLog).write(line)
        for name in seats:
            self.busy.pop(name, None)
            self.progress.pop(name, None)
        self.refresh_tiles(seats)

    def refresh_tiles(self, names) -> None:
        for name in names:
            view = self.views.get(name)
            if view is not None:
                view.busy = self.busy.get(name, "")
                view.state = status.seat_state(view.health, None, view.busy, view.last_check)
                self.tile(name).show(view, self.progress.get(name, ""))

    # ------------------------------------------------------------ selection
    def _mark_cursor(self) -> None:
        for tile in self.query(SeatTile):
            tile.set_class(tile.seat.name == self.cursor, "cursor")
            tile.set_class(tile.seat.name in self.selected, "selected")
        self._show_detail()
        self.read_detail(self.cursor)

    def _show_detail(self) -> None:
        self.query_one("#detail", DetailPane).show(self.views.get(self.cursor),
                                                   self.details.get(self.cursor))

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def read_detail(self, seat: str) -> None:
        self.post_message(DetailRead(seat, detail_record(self.room, seat)))

    @on(DetailRead)
    def detail_read(self, message: DetailRead) -> None:
        self.details[message.seat] = message.record
        if message.seat == self.cursor:
            self._show_detail()

    def action_move(self, drow: int, dcol: int) -> None:
        seat = self.room.seat(self.cursor)
        if not seat.is_terminal:
            candidates = self.room.servers if dcol else self.room.terminals
        else:
            r, c = seat.row + drow, seat.column + dcol
            candidates = [s for s in self.room.terminals if (s.row, s.column) == (r, c)]
            if not candidates and drow > 0 and self.room.servers:
                candidates = self.room.servers
        if candidates:
            i = 0 if seat not in candidates else (candidates.index(seat) + dcol) % len(candidates)
            self.cursor = candidates[i].name
            self._mark_cursor()

    @on(SeatTile.Clicked)
    def clicked(self, message: SeatTile.Clicked) -> None:
        self.cursor = message.seat
        self._mark_cursor()

    def action_toggle_select(self) -> None:
        self.selected ^= {self.cursor}
        self._mark_cursor()

    def targets(self, scope: str = "selection") -> list[Seat]:
        if scope == "room":
            return list(self.room.terminals)
        if scope == "row":
            row = self.room.seat(self.cursor).row
            return [s for s in self.room.terminals if row and s.row == row]
        names = self.selected or {self.cursor}
        return [s for s in self.room.seats if s.name in names]

    @staticmethod
    def describe(seats: list[Seat], scope: str, room: Room) -> str:
        if scope == "room":
            return _("the whole room")
        if scope == "row" and seats:
            return _("row {row}", row=seats[0].row)
        return ", ".join(s.name for s in seats) if len(seats) <= 4 else _("{n} seat(s)", n=len(seats))

    # ------------------------------------------------------------ actions
    def on_progress(self, message: Progress) -> None:
        for name in message.seats:
            if message.busy:
                self.busy[name] = message.busy
            else:
                self.busy.pop(name, None)
                self.progress.pop(name, None)
        if message.line:
            self.query_one("#progress", RichLog).write(message.line)
        self.refresh_tiles(message.seats)

    def news(self, seats, busy: str, line: str = "") -> None:
        names = [s.name if isinstance(s, Seat) else s for s in seats]
        if busy:  # remember which seats this worker made busy, should it fail
            try:
                worker = get_current_worker()
                self.working[worker] = sorted(set(self.working.get(worker, [])) | set(names))
            except NoActiveWorker:
                pass
        self.post_message(Progress(names, busy, line))

    def action_reset(self, scope: str = "selection") -> None:
        seats = [s for s in self.targets(scope) if s.is_terminal]
        if not seats:
            return
        question = _("Reset {target}?", target=self.describe(seats, scope, self.room))
        self.push_screen(ConfirmScreen(question), lambda yes: yes and self.run_reset(seats, False))

    @work(thread=True, group="action", exit_on_error=False)
    def run_reset(self, seats: list[Seat], force: bool) -> None:
        from labctl.core.reset import reset
        self.news(seats, "reset")
        reset(self.room, seats, confirm=self.ask_from_worker, force=force,
              connector=self.connector, on_result=lambda r: self.news(
                  [r.seat], "", _("{seat}: {outcome} {detail}", seat=r.seat,
                                  outcome=_(r.outcome), detail=r.reason)))

    def ask_from_worker(self, refused) -> bool:
        """core.reset's question, asked in a dialog while the worker waits for the answer."""
        names = ", ".join(r.seat for r in refused)
        answer, done = {}, threading.Event()

        def answered(yes: bool | None) -> None:
            answer["yes"] = bool(yes)
            done.set()

        self.call_from_thread(
            self.push_screen,
            ConfirmScreen(_("Students still logged in on {names}: reset anyway?", names=names)),
            answered)
        while not done.wait(0.5):
            if not self.is_running:  # the console was closed with the question open
                return False
        if answer["yes"]:
            self.news([r.seat for r in refused], "reset")
        return answer["yes"]

    def action_reboot(self) -> None:
        seats = self.targets()
        question = _("Reboot {target}?", target=self.describe(seats, "selection", self.room))
        self.push_screen(ConfirmScreen(question), lambda yes: yes and self.run_power(seats, "reboot"))

    def action_shutdown(self) -> None:
        seats = self.targets()
        question = _("Shut down {target}? Students get a warning first.",
                     target=self.describe(seats, "selection", self.room))
        self.push_screen(ConfirmScreen(question),
                         lambda yes: yes and self.run_power(seats, "shutdown"))

    def action_wake(self) -> None:
        self.run_power(self.targets(), "wake")

    @work(thread=True, group="action", exit_on_error=False)
    def run_power(self, seats: list[Seat], action: str) -> None:
        busy = {"reboot": "rebooting", "shutdown": "shutting down", "wake": "waking"}[action]
        self.news(seats, busy)
        power.power(self.room, seats, action, connector=self.connector, on_result=lambda r: self.news(
            [r.seat], "", _("{seat}: {outcome} {detail}", seat=r.seat, outcome=_(r.outcome),
                            detail=f"{_(action)} {r.reason}")))

    def action_check(self) -> None:
        self.run_check(self.targets() if self.selected else list(self.room.seats))

    @work(thread=True, group="action", exit_on_error=False)
    def run_check(self, seats: list[Seat]) -> None:
        from labctl.core.check import run_check
        self.news(seats, "checking")
        report = run_check(self.room, seats)
        failed = {r.seat for r in report.failures}
        for seat, results in report.by_seat().items():
            bad = [r.control for r in results if r.outcome not in ("passed", "skipped")]
            self.news([seat], "", _("{seat}: {outcome} {detail}", seat=seat,
                                    outcome=_("failed" if bad else "passed"), detail=" ".join(bad)))
        self.news(seats, "", _("check: {ok} of {total} seats compliant",
                               ok=len(report.by_seat()) - len(failed), total=len(report.by_seat())))

    def action_provision(self) -> None:
        seats = self.targets() if self.selected else list(self.room.seats)
        target = self.describe(seats, "room" if not self.selected else "selection", self.room)
        self.push_screen(ConfirmScreen(_("Provision {target} with site.yml?", target=target)),
                         lambda yes: yes and self.run_provision(seats))

    @work(thread=True, group="action", exit_on_error=False)
    def run_provision(self, seats: list[Seat]) -> None:
        from labctl.core.provisioning import provision
        names = {s.name for s in seats}
        self.news(seats, "provisioning")

        def event(e) -> None:  # a run's structured events (ansible-runner), never its text
            if e.host in names:
                self.progress[e.host] = _("provisioning: {task}", task=e.task)
                self.call_from_thread(self.refresh_tiles, [e.host])

        result = provision(self.room, "site.yml", ",".join(sorted(names))
                           if len(names) < len(self.room.seats) else None, on_event=event)
        if result.interrupted:
            self.news(seats, "", _("provisioning did not finish ({why}): recorded as failed",
                                   why=result.interrupted))
            return
        self.news(seats, "", _("provisioning finished: {changed} change(s), failed on {failed}",
                               changed=result.changed, failed=", ".join(result.failed_hosts) or "-"))

    def action_projector(self) -> None:
        if not self.room.vars.get("lab_projectors"):
            self.notify(_("room {room} has no projector (lab_projectors)", room=self.room.name))
            return
        on = not any(p.outcome == "ok" and p.power in ("on", "warming")
                     for p in self.projectors)
        question = _("Switch the projector on?") if on else _("Switch the projector off?")
        self.push_screen(ConfirmScreen(question),
                         lambda yes: yes and self.run_projector("on" if on else "off"))

    @work(thread=True, group="action", exit_on_error=False)
    def run_projector(self, action: str) -> None:
        from labctl.core import projector
        for r in projector.act(self.room, action, timeout=2.0):
            self.news([], "", _("{seat}: {outcome} {detail}", seat=r.name, outcome=_(r.outcome),
                               detail=r.reason))
        self.post_message(ProjectorsSeen(projector.status(self.room, timeout=2.0)))

    def action_screens(self, action: str, scope: str) -> None:
        """Lock or unlock the students' screens through Veyon, after the teacher says yes."""
        seats = [s for s in self.targets(scope) if s.is_terminal]
        if not seats:
            return
        target = self.describe(seats, scope, self.room)
        question = (_("Lock the screens of {target}?", target=target) if action == "lock"
                    else _("Unlock the screens of {target}?", target=target))
        self.push_screen(ConfirmScreen(question),
                         lambda yes: yes and self.run_screens(seats, action, None))

    def action_message(self) -> None:
        scope = "selection" if self.selected else "room"
        seats = [s for s in self.targets(scope) if s.is_terminal]
        target = self.describe(seats, scope, self.room)
        self.push_screen(TextScreen(_("A message to {target} (Enter sends, Escape cancels):",
                                      target=target)),
                         lambda text: text and self.run_screens(seats, "message", text))

    @work(thread=True, group="action", exit_on_error=False)
    def run_screens(self, seats: list[Seat], action: str, text: str | None) -> None:
        from labctl.core import veyon
        self.news(seats, "screens")
        veyon.act(self.room, seats, action, text, on_result=lambda r: self.news(
            [r.seat], "", _("{seat}: {outcome} {detail}", seat=r.seat, outcome=_(r.outcome),
                            detail=f"{_(action)} {r.reason}")))

    def action_screenshot(self) -> None:
        seat = self.room.seat(self.cursor)
        if seat.is_terminal:
            self.run_screenshot(seat)

    @work(thread=True, group="action", exit_on_error=False)
    def run_screenshot(self, seat: Seat) -> None:
        from labctl.core import veyon
        self.news([seat], "screens")
        r = veyon.screenshot(self.room, seat)
        self.news([seat], "", _("{seat}: {outcome} {detail}", seat=seat.name, outcome=_(r.outcome),
                                detail=r.path or r.reason))
        self.call_from_thread(lambda: self.query_one("#detail", DetailPane).show_screen(seat.name, r))

    def action_log(self) -> None:
        self.push_screen(LogScreen(self.room.name))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())
