"""A persistent, parallel pool of verified SSH connections for health polling.

One connection per seat stays open between sweeps, and on it one channel runs the
seat's probe agent (health.AGENT): a probe is then one line sent and one answer read
on an open channel, not a handshake nor a new command. A seat that fails is dropped and
reconnected on a later sweep, so it comes back on its own. A sweep never waits longer than its
deadline: a seat that has not answered by then is reported unreachable and its
connection closed, which ends its stuck probe; polls of a seat never overlap.

An open session outlives the sshd that accepted it, so it alone does not prove that a new
login works: a seat whose sshd is not running is unreachable at the next sweep (the probe
reads sshd's state), and every `relogin` seconds each seat's connection is replaced by a
fresh, verified one (a changed host key or a refused key shows within that time).
"""

from __future__ import annotations

import random
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait

from labctl.core import health
from labctl.core.errors import LabError
from labctl.core.health import Health
from labctl.core.room import Room, Seat
from labctl.core.ssh import Connector, run
from labctl.i18n import _


class Pool:
    def __init__(self, room: Room, connector: Connector | None = None, timeout: float = 3.0,
                 persistent: bool = True, workers: int = 64, relogin: float = 60.0,
                 agent: bool = True):
        self.room = room
        self.timeout = timeout
        self.persistent = persistent
        self.agent = agent and persistent  # the probe agent lives on a connection kept open
        self.relogin = relogin
        self._opened: dict[str, float] = {}
        self.connector = connector or Connector.for_room(room,
                                                timeout=timeout, retries=0)
        self._clients: dict[str, object] = {}
        self._agents: dict[str, tuple[object, object]] = {}  # seat -> (its client, agent channel)
        self._no_agent: set[str] = set()  # seats without python3: the shell probe each time
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
                self._no_agent.discard(seat.name)  # python3 may have come since
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
            self._agents.pop(name, None)
            self._no_agent.discard(name)
        if client is not None:
            client.close()

    def probe(self, seat: Seat) -> Health:
        start = time.monotonic()
        try:
            client = self._client(seat)
            windows = seat.os_family == "windows"
            try:
                if windows:
                    out = run(client, health.PROBE_WINDOWS, timeout=self.timeout).stdout
                else:
                    out = self._ask(seat.name, client)
            finally:
                if not self.persistent:
                    client.close()
            if windows:
                result = health.parse_windows(seat.name, out)
            else:
                result = health.parse(seat.name, out, self._cpu.get(seat.name))
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

    def _ask(self, name: str, client) -> str:
        """One Linux probe's output: from the seat's agent (health.AGENT, started once on this
        connection and kept), or the shell probe where the seat has no python3 or the pool
        keeps no connection (or was told not to: agent=False)."""
        if not self.agent or name in self._no_agent:
            return run(client, health.PROBE, timeout=self.timeout).stdout
        with self._lock:
            owner, channel = self._agents.get(name, (None, None))
        if owner is not client or channel.closed:
            channel = client.get_transport().open_session(timeout=self.timeout)
            channel.exec_command(health.AGENT_COMMAND)
            with self._lock:
                self._agents[name] = (client, channel)
        channel.settimeout(self.timeout)
        channel.sendall(b"\n")
        end, answer = (health.END + "\n").encode(), b""
        try:
            while not answer.endswith(end):
                data = channel.recv(65536)
                if not data:  # the agent ended: no python3 there, or it was killed
                    status = channel.recv_exit_status()
                    if status == 127:
                        self._no_agent.add(name)
                        return run(client, health.PROBE, timeout=self.timeout).stdout
                    raise LabError(f"{name}: " + _("the health probe ended (exit {status})",
                                                    status=status))
                answer += data
        except socket.timeout:
            raise LabError(f"{name}: " + _("no answer within {seconds} s",
                                            seconds=f"{self.timeout:g}")) from None
        return answer[:-len(end)].decode(errors="replace")

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
                # its probe may wait on a call without a timeout (an exec request the seat
                # never answers): closing its connection ends that wait, so the seat is
                # probed again, on a new login, at the next sweep
                self._drop(seat.name)
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
