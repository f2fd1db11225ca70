"""Faults caused for real on the provisioned test room, and what the technician then sees:
a seat's nspawn killed, a regenerated host key, a full home, an interrupted playbook. Each
seat is recoverable with labctl alone, and each test puts the room back as it found it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time

import psutil

from labctl.cli import main
from labctl.core import audit, hostkeys, paths
from labctl.core.playbook import run_playbook
from labctl.vlab.seatrunner import is_init

from .conftest import INVENTORY, ssh, wait_for


def inits(vroom, seat) -> list[int]:
    """The container inits (systemd as PID 1) running in the seat's namespace."""
    return [p for p in vroom.pids([seat]) if is_init(p)]


def pid_of(vroom, seat, name: str) -> int | None:
    path = vroom.seat_dir(seat) / f"{name}.pid"
    try:
        return int(path.read_text())
    except (OSError, ValueError):
        return None


def states(capsys) -> dict[str, str]:
    capsys.readouterr()
    main(["vlab", "status", "-i", str(INVENTORY), "--json"])
    return {s["name"]: s["state"] for s in json.loads(capsys.readouterr().out)}


def test_a_seat_whose_nspawn_is_killed_boots_once_again(provisioned, connector, capsys):
    vroom, _ = provisioned
    seat = vroom.room.seat("it03")
    try:
        os.kill(pid_of(vroom, seat, "nspawn"), signal.SIGKILL)
        # the runner ends what its nspawn left running: nothing answers as it03 any more
        assert wait_for(lambda: not vroom.pids([seat]), 60), "the container lives on"
        assert wait_for(lambda: states(capsys)["it03"] == "stopped", 30)
        # seat names after the options, as a technician types them
        assert main(["vlab", "start", "-i", str(INVENTORY), "it03"]) == 0
        assert len(inits(vroom, seat)) == 1
        assert main(["reset", "-i", str(INVENTORY), "--seats", "it03", "--force"]) == 0
    finally:
        main(["vlab", "start", "it03", "-i", str(INVENTORY)])


def test_a_seat_whose_runner_and_nspawn_are_killed_is_ended_before_it_boots_again(
        provisioned, connector, capsys):
    vroom, _ = provisioned
    seat = vroom.room.seat("it03")
    try:
        runner, nspawn = pid_of(vroom, seat, "runner"), pid_of(vroom, seat, "nspawn")
        os.kill(runner, signal.SIGKILL)
        os.kill(nspawn, signal.SIGKILL)
        assert wait_for(lambda: not psutil.pid_exists(nspawn), 10)
        assert inits(vroom, seat), "the orphaned container runs on (the case to handle)"
        assert ssh(connector, seat, "true").ok, "and it still answers SSH"
        assert states(capsys)["it03"] == "orphaned"
        capsys.readouterr()
        assert main(["vlab", "start", "it03", "-i", str(INVENTORY)]) == 0
        assert len(inits(vroom, seat)) == 1, "two containers on one seat's disk"
        assert main(["reset", "-i", str(INVENTORY), "--seats", "it03", "--force"]) == 0
        out = ssh(connector, seat, "sudo mysql -N -e 'SELECT COUNT(*) FROM student_shop.orders'")
        assert out.ok and int(out.stdout) > 0, out.stderr
    finally:
        main(["vlab", "start", "it03", "-i", str(INVENTORY)])


def test_a_changed_host_key_is_one_line_for_its_seat_and_accepted_only_on_the_technicians_word(
        provisioned, connector, capsys):
    vroom, _ = provisioned
    room = vroom.room
    seat = room.seat("it02")
    pub = vroom.seat_dir(seat) / "root/etc/ssh/ssh_host_ed25519_key.pub"
    known_before = sorted(room.state.known_hosts.read_text().splitlines())
    try:
        assert ssh(connector, seat, "sudo rm -f /etc/ssh/ssh_host_ed25519_key* && "
                                    "sudo ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key"
                                    " && sudo systemctl restart ssh").ok
        new = hostkeys.fingerprint(pub.read_text())  # as the seat's own console shows it
        # Ansible, with and without Mitogen, and a plain testinfra run refuse the seat too, at
        # their next new connection: an SSH master kept from an earlier run (ControlPersist)
        # still talks to the sshd it verified then, and is not a new connection
        for master in paths.SSH_MASTERS.glob(f"{seat.ip}-*"):
            master.unlink()
        for strategy in ("linear", "mitogen_linear"):
            run = run_playbook(INVENTORY, "site.yml", limit="it02", env={"ANSIBLE_STRATEGY": strategy},
                               extra_args=["--tags", "lab_common::system"])
            said = run.output.lower()
            assert not run.succeeded and run.recap["it02"].unreachable, (strategy, run.output[-2000:])
            assert "host key verification failed" in said or "identification has changed" in said \
                or "mismatching host key" in said, \
                (strategy, run.output[-2000:])
        suite = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/compliance/test_common.py", "-p", "testinfra.plugin",
             "-p", "no:cacheprovider", "-c", os.devnull, f"--rootdir={paths.PROJECT}",
             "--hosts=ansible://it02", f"--ansible-inventory={INVENTORY}", "-q", "-x"],
            cwd=paths.PROJECT, capture_output=True, text=True, timeout=300,
            env={**os.environ, **paths.vault_env(INVENTORY), "PYTHONPATH": str(paths.PROJECT),
                 "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
        assert suite.returncode == 1 and "host key has CHANGED" in suite.stdout, suite.stdout[-2000:]
        capsys.readouterr()
        code = main(["check", "-i", str(INVENTORY), "--limit", "it02,it03", "--json"])
        report = json.loads(capsys.readouterr().out)
        assert code == 1
        by_seat: dict[str, list] = {}
        for r in report["results"]:
            by_seat.setdefault(r["seat"], []).append(r)
        assert set(by_seat) == {"it02", "it03"}, "phantom seats"
        [only] = by_seat["it02"]
        assert only["control"] == "LAB-REACH-01" and "CHANGED" in only["message"]
        assert "labctl hostkey accept it02" in only["message"]
        assert len(by_seat["it03"]) > 10 and not any(r["control"] == "LAB-REACH-01"
                                                     for r in by_seat["it03"])
        recorded = {r[0] for r in audit.last_checks(room.name).items()}
        assert recorded <= {s.name for s in room.seats}, recorded
        # the reset refuses it, with advice that fits
        capsys.readouterr()
        assert main(["reset", "-i", str(INVENTORY), "--seats", "it02", "--force"]) == 1
        out = capsys.readouterr().out
        assert "CHANGED" in out and "labctl hostkey accept it02" in out
        assert "0m✘" in _status_line(capsys, "it02")
        # a wrong fingerprint records nothing; the right one does, and says so in the audit log
        assert main(["hostkey", "accept", "it02", "-i", str(INVENTORY),
                     "--expect-fingerprint", "SHA256:" + "A" * 43]) != 0
        assert sorted(room.state.known_hosts.read_text().splitlines()) == known_before
        assert main(["hostkey", "accept", "it02", "-i", str(INVENTORY),
                     "--expect-fingerprint", new]) == 0
        assert ssh(connector, seat, "true").ok
        assert audit.events(room.name, "it02", limit=1)[0].action == "host key"
        assert main(["reset", "-i", str(INVENTORY), "--seats", "it02", "--force"]) == 0
    finally:
        # powering the virtual seat off and on gives it back its own identity and its key
        main(["vlab", "stop", "it02", "-i", str(INVENTORY)])
        main(["vlab", "start", "it02", "-i", str(INVENTORY)])
    assert ssh(connector, seat, "true").ok
    assert sorted(room.state.known_hosts.read_text().splitlines()) == known_before


def _status_line(capsys, name: str) -> str:
    capsys.readouterr()
    main(["status", "-i", str(INVENTORY)])
    return next(line for line in capsys.readouterr().out.splitlines() if line.startswith(name))


def test_a_full_home_shows_on_the_seat(provisioned, connector, capsys):
    vroom, _ = provisioned
    seat = vroom.room.seat("it04")
    try:
        # a small filesystem for the student's home, filled by the student until writes fail
        assert ssh(connector, seat, "sudo mount -t tmpfs -o size=256k,mode=0700 tmpfs /home/student"
                                    " && sudo chown student: /home/student").ok
        fill = ssh(connector, seat, "sudo -u student dd if=/dev/zero of=/home/student/big bs=4k")
        assert "No space left on device" in fill.stderr
        capsys.readouterr()
        main(["status", "-i", str(INVENTORY), "--json"])
        view = next(v for v in json.loads(capsys.readouterr().out) if v["seat"] == "it04")
        assert view["state"] == "disk full", view
        assert view["filesystems"]["/home/student"] >= 95
        line = _status_line(capsys, "it04")
        assert "disk full" in line and "/home/student" in line
    finally:
        ssh(connector, seat, "sudo umount /home/student")
    capsys.readouterr()
    main(["status", "-i", str(INVENTORY), "--json"])
    assert next(v for v in json.loads(capsys.readouterr().out) if v["seat"] == "it04")["state"] != "disk full"


def test_an_interrupted_playbook_is_a_failure(provisioned, capsys):
    vroom, _ = provisioned
    room = vroom.room
    started = time.time()

    def interrupt():
        """SIGINT to ansible-playbook alone, once it is into its tasks (Ctrl-C in its window)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for proc in psutil.Process().children(recursive=True):
                try:
                    if "ansible-playbook" in " ".join(proc.cmdline()) and \
                            time.time() - proc.create_time() > 8:
                        proc.send_signal(signal.SIGINT)
                        return
                except psutil.Error:
                    continue
            time.sleep(0.2)

    killer = threading.Thread(target=interrupt)
    killer.start()
    code = main(["provision", "-i", str(INVENTORY), "--limit", "it01"])
    killer.join()
    out = capsys.readouterr()
    assert code != 0, "an interrupted run counted as a success"
    assert "recorded as failed" in out.err
    event = audit.events(room.name, "it01", limit=1)[0]
    assert event.action == "provision" and event.outcome == "failed" and event.at >= started
    assert "interrupted" in event.detail or "signal" in event.detail or "recap" in event.detail
    # and the seat is fine: the next run completes
    assert main(["provision", "-i", str(INVENTORY), "--limit", "it01"]) == 0
