"""`labctl check`: the compliance suite (tests/compliance) over the room, in parallel.

It is the standard testinfra run an auditor can type by hand, with pytest-xdist
spreading the seats over workers (a seat's controls stay on one worker, so its
browsers never race each other), a reachability probe first (a dead seat is reported
at once instead of timing out control after control), JUnit XML read back into
results, and every result recorded in the audit store.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from labctl.core import audit, paths
from labctl.core.room import Room, Seat
from labctl.core.errors import HostKeyError, LabError
from labctl.core.ssh import Connector, banner_problem
from labctl.i18n import _

SUITE = paths.PROJECT / "tests" / "compliance"
ENGINES = (("blink", "LAB-WEB-01"), ("gecko", "LAB-WEB-02"), ("webkit", "LAB-WEB-03"))
# how many controls the run has: xdist's "N workers [M items]", pytest's "collected M items"
TOTAL = re.compile(r"workers \[(\d+) items?\]|^collected (\d+) items?")
PROGRESS = re.compile(r"\b(PASSED|FAILED|ERROR|SKIPPED)\b.*\[ansible://([^\]\s]+)\]"
                      r"|\[ansible://([^\]\s]+)\].*\b(PASSED|FAILED|ERROR|SKIPPED)\b")


@dataclass(frozen=True)
class ControlResult:
    seat: str
    control: str
    test: str
    outcome: str  # passed, failed, error, skipped, unreachable
    seconds: float
    message: str = ""
    properties: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass
class CheckReport:
    room: str
    run_id: str
    results: list[ControlResult]
    seconds: float
    junit: Path | None = None

    @property
    def failures(self) -> list[ControlResult]:
        return [r for r in self.results if r.outcome not in ("passed", "skipped")]

    @property
    def ok(self) -> bool:
        return bool(self.results) and not self.failures

    def by_seat(self) -> dict[str, list[ControlResult]]:
        seats: dict[str, list[ControlResult]] = {}
        for r in self.results:
            seats.setdefault(r.seat, []).append(r)
        return seats

    def browser_matrix(self) -> dict[str, dict[str, str | None]]:
        """seat -> engine -> version (None where the engine did not render the page)."""
        matrix = {}
        for seat, results in self.by_seat().items():
            passed = {r.control for r in results if r.outcome == "passed"}
            fact = next((r.properties for r in results if r.control == "LAB-WEB-04"), {})
            if not any(r.control.startswith("LAB-WEB") for r in results):
                continue
            matrix[seat] = {engine: (fact.get(engine) or "?") if control in passed else None
                            for engine, control in ENGINES}
        return matrix


def winrm_problem(address: str, port: int, timeout: float) -> str | None:
    """None when Windows' WinRM listener (HTTP.sys) answers on the port, else what is wrong.
    An open port alone proves nothing: a network's proxy may accept any connection."""
    import ssl
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the WinRM connection itself verifies the certificate
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw, \
                context.wrap_socket(raw) as sock:
            sock.settimeout(timeout)
            sock.sendall(f"POST /wsman HTTP/1.1\r\nHost: {address}:{port}\r\n"
                         "Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(4096).decode("latin-1")
    except (OSError, ssl.SSLError) as exc:
        return f"WinRM port {port} does not answer ({getattr(exc, 'strerror', None) or exc})"
    if head.startswith("HTTP/") and "microsoft-httpapi" in head.lower():
        return None
    return f"no WinRM listener on port {port} (the answer is not Windows' HTTP.sys)"


def reachable(seats: list[Seat], timeout: float = 3.0,
              connector: Connector | None = None) -> dict[str, str]:
    """seat -> why it can't be reached, for the seats whose admin port doesn't answer:
    SSH (its banner, then, with a connector, a verified login: a changed host key is one
    line for that seat, not a failure of every control), or WinRM's HTTPS port for Windows
    seats reached over WinRM."""
    def probe(seat: Seat) -> str | None:
        if seat.vars.get("ansible_connection") == "winrm":
            return winrm_problem(str(seat.ip), int(seat.vars.get("ansible_port", 5986)), timeout)
        why = banner_problem(str(seat.ip), timeout)
        if why or connector is None:
            return why
        try:
            connector.connect(seat.name, str(seat.ip)).close()
        except HostKeyError as exc:
            return (str(exc).removeprefix(f"{seat.name}: ")
                    + f" (labctl hostkey accept {seat.name}, once the seat is checked)")
        except LabError as exc:
            return str(exc).removeprefix(f"{seat.name}: ")
        return None
    with ThreadPoolExecutor(max_workers=min(64, len(seats) or 1)) as pool:
        return {s.name: why for s, why in zip(seats, pool.map(probe, seats)) if why}


def _seat_of(test: str, names: list[str]) -> str | None:
    """The seat a test id is about: `test_x[ansible://pc07-chromium]` is pc07's, whatever
    its other parameters (a seat's name may itself hold '-')."""
    for name in sorted(names, key=len, reverse=True):
        if re.search(rf"\[ansible://{re.escape(name)}[\]-]", test):
            return name
    return None


def parse_junit(path: Path, names: list[str] | None = None) -> list[ControlResult]:
    """The suite's results; with the room's seat names, a test whose seat can't be told is
    left out (never recorded as a seat of its own)."""
    results = []
    for case in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            node = case.find(kind)
            if node is not None:
                outcome = {"failure": "failed"}.get(kind, kind)
                message = (node.get("message") or node.text or "").strip()
                break
        seat = props.pop("seat", None) or (_seat_of(case.get("name", ""), names) if names else
                                           re.search(r"ansible://([^\]-]+)", case.get("name", ""))[1])
        if seat is None:
            continue
        results.append(ControlResult(seat=seat, control=props.pop("control", "?"),
                                     test=case.get("name", ""), outcome=outcome,
                                     seconds=float(case.get("time") or 0),
                                     message=_first_line(message), properties=props))
    return results


def _first_line(message: str) -> str:
    """The assertion's own words, without pytest's expansion of it."""
    for line in message.splitlines():
        line = line.strip()
        if line and not line.startswith(("assert ", "+", "where")):
            return re.sub(r"^(AssertionError|E)\s*:?\s*", "", line)[:300]
    return ""


def run_check(room: Room, seats: list[Seat] | None = None, workers: int | None = None,
              junit: Path | None = None, on_progress=None, record: bool = True) -> CheckReport:
    """Check the seats (default: every seat; Windows seats get the Windows controls, over
    WinRM or OpenSSH); on_progress(seat, done, total) per control."""
    start = time.monotonic()
    seats = list(seats or room.seats)
    run_id = uuid.uuid4().hex[:12]
    dead = reachable(seats, connector=Connector.for_room(room,
                                                timeout=10, retries=1))
    alive = [s for s in seats if s.name not in dead]
    results = [ControlResult(name, "LAB-REACH-01", "ssh reachable", "unreachable", 0.0, why)
               for name, why in dead.items()]
    if alive:
        results += _pytest(room, alive, workers, junit, on_progress)
    order = {s.name: i for i, s in enumerate(seats)}  # the room's order, not the finishing one
    results.sort(key=lambda r: order.get(r.seat, len(order)))
    report = CheckReport(room.name, run_id, results, time.monotonic() - start, junit)
    if record:
        audit.record_checks(room.name, run_id, [(r.seat, r.control, r.test, r.outcome,
                                                 r.seconds, r.message) for r in results])
    return report


def _pytest(room: Room, seats: list[Seat], workers, junit, on_progress) -> list[ControlResult]:
    workers = workers or min(len(seats), max(2, 4 * (os.cpu_count() or 1)))
    with tempfile.TemporaryDirectory(prefix="labctl-check-") as tmp:
        xml = Path(junit) if junit else Path(tmp) / "junit.xml"
        hosts = ",".join(f"ansible://{s.name}" for s in seats)  # never the switch
        # only the plugins the suite uses: the others installed here (hypothesis, textual's
        # snapshots, ...) would cost every worker ~3 CPU-seconds of imports
        cmd = [sys.executable, "-m", "pytest", str(SUITE), "-p", "testinfra.plugin",
               "-p", "no:cacheprovider",
               "-o", "junit_family=xunit1", f"--rootdir={paths.PROJECT}", "-c", os.devnull,
               f"--hosts={hosts}", f"--ansible-inventory={room.inventory}",
               f"--junitxml={xml}", "-v", "--tb=short"]
        if workers > 1:
            cmd += ["-p", "xdist.plugin", "-n", str(workers), "--dist", "loadgroup"]
        env = {**paths.vault_env(room.inventory), **os.environ,
               "ANSIBLE_CONFIG": str(paths.PROJECT / "ansible.cfg"),
               "PYTHONPATH": str(paths.PROJECT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
               "LABCTL_ROOM": room.name}
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=env, cwd=paths.PROJECT)
        done: dict[str, int] = {}
        tail, total = [], None
        for line in proc.stdout:
            tail = (tail + [line])[-40:]
            counted = TOTAL.search(line)
            if counted and total is None:
                total = int(counted.group(1) or counted.group(2))
            m = PROGRESS.search(line)
            if m and on_progress:
                seat = m.group(2) or m.group(3)
                done[seat] = done.get(seat, 0) + 1
                on_progress(seat, sum(done.values()), total)
        proc.wait()
        if not xml.exists() or proc.returncode not in (0, 1):
            raise LabError(_("the compliance suite did not run (pytest exit {rc}):",
                             rc=proc.returncode) + "\n" + "".join(tail))
        return parse_junit(xml, [s.name for s in seats])
