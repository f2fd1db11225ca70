"""A persistent, parallel pool of verified SSH connections for health polling.

One connection per seat stays open between sweeps (a probe is then one exec on an
open channel, not a handshake); a seat that fails is dropped and reconnected on a
later sweep, so it comes back on its own. A sweep never waits longer than its
deadline: a seat that has not answered by then is reported unreachable, and its
stuck probe is not started again until it ends (polls of a seat never overlap).

An open session outlives the sshd that accepted it, so it alone does not prove that a new
login works: a seat whose sshd is not running is unreachable at the next sweep (the probe
reads sshd's state), and every `relogin` seconds each seat's connection is replaced by a
fresh, verified one (a changed host key or a refused key shows within that time).
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from labctl.core import health
from labctl.core.errors import LabError
from labctl.core.health import Health
from labctl.core.room import Room, Seat
from labctl.core.ssh import Connector, run


class Pool:
    def __init__(self, room: Room, connector: Connector | None = None, timeout: float = 3.0,
                 persistent: bool = True, workers: int = 64, relogin: float = 60.0):
        self.room = room
        self.timeout = timeout
        self.persistent = persistent
        self.relogin = relogin
        self._opened: dict[str, float] = {}
        self.connector = connector or Connector.for_room(room,
                                                timeout=timeout, retries=0)
        self._clients: dict[str, object] = {}
        self._busy: set[str] = set()
        self._cpu: dict[str, health.CpuSample] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="health")

    def _client(self, seat: Seat):
        with self._lock:
            client = self._clients.get(seat.name)
            opened = self._opened.get(seat.name, 0.0)
        fresh_enough = time.monotonic() - opened < self.relogin
        if client is not None and client.get_transport() and client.get_transport().is_active() \
                and fresh_enough:
            return client
        new = self.connector.connect(seat.name, str(seat.ip))  # fails: the seat is unreachable
        if client is not None:
            client.close()
        if self.persistent:
            with self._lock:
                self._clients[seat.name] = new
                # spread over time, so that a room's seats are not all logged in anew at once
                self._opened[seat.name] = time.monotonic() - random.uniform(0, self.relogin / 2)
        return new

    def connections(self) -> dict[str, object]:
        """The SSH connections held open now, by seat (a copy): one per seat, reused by
        every sweep until it fails or is renewed."""
        with self._lock:
            return dict(self._clients)

    def _drop(self, name: str) -> None:
        with self._lock:
            client = self._clients.pop(name, None)
            self._opened.pop(name, None)
        if client is not None:
            client.close()

    def probe(self, seat: Seat) -> Health:
        start = time.monotonic()
        try:
            client = self._client(seat)
            windows = seat.os_family == "windows"
            try:
                out = run(client, health.PROBE_WINDOWS if windows else health.PROBE,
                          timeout=self.timeout)
            finally:
                if not self.persistent:
                    client.close()
            if windows:
                result = health.parse_windows(seat.name, out.stdout)
            else:
                result = health.parse(seat.name, out.stdout, self._cpu.get(seat.name))
                self._cpu[seat.name] = result.cpu_sample
                sshd = result.services.get("ssh", "active")
                if sshd not in ("active", "reloading", "unknown"):
                    # this session survives its sshd; nobody can log in (or reset) now
                    self._drop(seat.name)
                    result = Health(seat.name, "unreachable",
                                    error=f"sshd is {sshd}: no new login works")
        except LabError as exc:
            self._drop(seat.name)
            result = Health(seat.name, "unreachable", error=str(exc).removeprefix(f"{seat.name}: "))
        except Exception as exc:  # noqa: BLE001 - a broken seat is that seat's state, no more
            self._drop(seat.name)
            result = Health(seat.name, "unreachable", error=f"{type(exc).__name__}: {exc}")
        result.latency = time.monotonic() - start
        return result

    def sweep(self, seats: list[Seat] | None = None) -> dict[str, Health]:
        """Health of every seat, in at most about 2 x timeout."""
        seats = list(seats or self.room.seats)
        futures = {}
        out: dict[str, Health] = {}
        for seat in seats:
            with self._lock:
                if seat.name in self._busy:
                    out[seat.name] = Health(seat.name, "unreachable",
                                            error="the last probe has not returned")
                    continue
                self._busy.add(seat.name)
            futures[self._executor.submit(self._run, seat)] = seat
        done, _ = wait(futures, timeout=2 * self.timeout + 1)
        for future, seat in futures.items():
            if future in done:
                out[seat.name] = future.result()
            else:
                out[seat.name] = Health(seat.name, "unreachable",
                                        error=f"no answer within {2 * self.timeout + 1:.0f} s")
        return {s.name: out[s.name] for s in seats}

    def _run(self, seat: Seat) -> Health:
        try:
            return self.probe(seat)
        finally:
            with self._lock:
                self._busy.discard(seat.name)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()
