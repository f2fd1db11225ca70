"""Run one command on many seats at once: a result per seat, one dead seat loses nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from labctl.core.errors import LabError
from labctl.core.room import Seat
from labctl.core.ssh import Connector, Result, run


@dataclass
class FanOut:
    """`seat name -> Result` for the seats that answered, `-> error` for the others."""

    results: dict[str, Result] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> list[str]:
        return sorted(n for n, r in self.results.items() if r.ok)

    @property
    def failed(self) -> dict[str, str]:
        bad = dict(self.errors)
        for name, r in self.results.items():
            if not r.ok:
                bad[name] = (r.stderr.strip() or r.stdout.strip() or f"exit {r.exit_status}")[-500:]
        return dict(sorted(bad.items()))


def fan_out(connector: Connector, seats: list[Seat], command: str, timeout: float = 120.0,
            workers: int = 32, on_result=None) -> FanOut:
    out = FanOut()

    def one(seat: Seat):
        try:
            with connector.session(seat) as client:
                return seat.name, run(client, command, timeout=timeout), None
        except LabError as exc:  # could not connect: the message names the seat and the fix
            return seat.name, None, str(exc)
        except Exception as exc:  # noqa: BLE001 - a seat dying mid-command is that seat's failure
            return seat.name, None, f"{seat.name}: {type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(seats)))) as pool:
        for name, result, error in pool.map(one, seats):
            if error is None:
                out.results[name] = result
            else:
                out.errors[name] = error
            if on_result:
                on_result(name, result, error)
    return out
