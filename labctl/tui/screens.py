"""Modal screens: confirm a destructive action, the key help, the audit log."""

from __future__ import annotations

import time

from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from rich.text import Text
from textual.widgets import Button, DataTable, Footer, Input, Static

from labctl.core import audit
from labctl.core.veyon import MESSAGE_MAX
from labctl.i18n import _


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [Binding("y", "answer(True)", _("Yes")), Binding("n", "answer(False)", _("No")),
                Binding("escape", "answer(False)", _("No"))]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self):
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")
            with Horizontal(id="dialog-buttons"):
                yield Button(_("Yes") + " (y)", variant="error", id="yes")
                yield Button(_("No") + " (n)", variant="primary", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class TextScreen(ModalScreen[str | None]):
    """Ask for one line of text (a message to the students): Enter sends, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", _("No"))]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self):
        with Vertical(id="dialog"):
            yield Static(self.question, id="question")
            yield Input(id="text", max_length=MESSAGE_MAX)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", _("close"))]
    LINES = ("arrows or mouse: move / select a seat", "space: add the seat to the selection",
             "r: reset the selection (or the seat)", "R: reset the seat's row",
             "A: reset the whole room",
             "b: reboot   s: shut down (students warned first)   w: wake (Wake-on-LAN)",
             "c: run the compliance check   p: run the provisioning playbook",
             "o: switch the projector on or off",
             "k: lock the selection's screens (K: the room)   u: unlock (U: the room)",
             "m: send the selection (or the room) a message   v: a screenshot of the seat",
             "l: audit log   ?: this help   q: quit")

    def compose(self):
        with Vertical(id="dialog"):
            yield Static(f"[b]{_('keys')}[/b]\n\n" + "\n".join(_(line) for line in self.LINES))

    def action_close(self) -> None:
        self.dismiss(None)


class LogScreen(Screen[None]):
    BINDINGS = [Binding("escape,l,q", "close", _("close"))]

    def __init__(self, room: str) -> None:
        super().__init__()
        self.room = room

    def compose(self):
        yield Static(f"[b]{_('audit log')}[/b] — {self.room}")
        yield DataTable(zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(_("time"), _("seat"), _("action"), _("outcome"), _("detail"), _("who"))
        for e in audit.events(self.room, limit=500):
            # Text, not str: a DataTable reads a str as markup, and these come from seats
            table.add_row(time.strftime("%m-%d %H:%M:%S", time.localtime(e.at)), Text(e.seat),
                          _(e.action), _(e.outcome), Text(e.detail[:80]), Text(e.user))

    def action_close(self) -> None:
        self.dismiss(None)
