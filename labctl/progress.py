"""The command line's progress bar: what is done of how much, the time spent and the time
left, drawn by rich (which measures wide characters) on standard error.

    with Bar(_("checking"), total=len(seats), shown=not args.json) as bar:
        run_check(..., on_progress=lambda seat, done, total: bar(done, total, seat))

Nothing is drawn when standard error is not a terminal (a log, a pipe, a test) or the
command answers in JSON; lines printed while the bar is up appear above it.
"""

from __future__ import annotations

import sys

from labctl.i18n import _


class Bar:
    def __init__(self, label: str, total: float | None = None, shown: bool = True,
                 stream=None):
        self.label = label
        self._progress = None
        stream = stream or sys.stderr
        if not shown or not stream.isatty():
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn, TimeRemainingColumn)
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(bar_width=24), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn(_("left")), TimeRemainingColumn(),
            console=Console(file=stream), transient=True)
        self._task = self._progress.add_task(label, total=total)

    def __enter__(self) -> Bar:
        if self._progress:
            self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.stop()

    def __call__(self, done: float, total: float | None = None, note: str = "") -> None:
        """done of total (total may change as it becomes known); note follows the label."""
        if self._progress:
            self._progress.update(self._task, completed=done,
                                  description=f"{self.label} {note}".strip(),
                                  **({"total": total} if total is not None else {}))

    def paused(self, ask, *args):
        """ask(*args) with the bar out of the way: a question on the terminal."""
        if not self._progress:
            return ask(*args)
        self._progress.stop()
        try:
            return ask(*args)
        finally:
            self._progress.start()
