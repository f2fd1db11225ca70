"""The virtual room: real booted seats, verified SSH, a bridge, and a clean teardown."""

import json
import os
import signal
import subprocess

import pytest

from labctl.cli import main
from labctl.core.errors import ConnectError, HostKeyError
from labctl.core.ssh import Connector
from labctl.vlab.room import ssh_answers
from labctl.vlab.seatrunner import container_pids, is_init

from .conftest import INVENTORY, copy_inventory, ssh, wait_for


def test_every_seat_is_running(vroom, capsys):
    assert main(["vlab", "status", "--json", "-i", str(INVENTORY)]) == 0
    statuses = json.loads(capsys.readouterr().out)
    assert {s["name"]: s["state"] for s in statuses} == {
        s.name: "running" for s in vroom.room.seats}


@pytest.mark.parametrize("name", ["itsrv", "it01", "it02", "it03", "it04"])
def test_seat_identity_over_verified_ssh(vroom, connector, name):
    seat = vroom.room.seat(name)
    result = ssh(connector, seat, "hostname; ip -4 -o addr show dev host0; "
                                  "ip -br link show dev host0; ps -p 1 -o comm=; "
                                  "systemctl is-active ssh")
    hostname, addr, link, pid1, sshd = result.stdout.splitlines()
    assert hostname == seat.name
    assert f"inet {seat.ip}/24" in addr
    assert link.split()[2] == seat.mac
    assert pid1 == "systemd"
    assert sshd == "active"


def test_seats_and_server_reach_each_other_over_the_bridge(vroom, connector):
    """(Terminal to terminal depends on the switch model: its student ports are isolated,
    tests/integration/test_switch.py.)"""
    server = vroom.room.servers[0]
    for seat in vroom.room.terminals:
        result = ssh(connector, seat, f"ping -c 1 -W 2 {server.ip}")
        assert result.ok, f"{seat.name} cannot reach {server.name}: {result.stdout}"
        result = ssh(connector, server, f"ping -c 1 -W 2 {seat.ip}")
        assert result.ok, f"{server.name} cannot reach {seat.name}: {result.stdout}"


def test_a_changed_host_key_is_refused(vroom, room, tmp_path):
    seat = room.seat("it01")
    other = room.seat("it02")
    lines = room.state.known_hosts.read_text().splitlines()
    other_key = next(line for line in lines if line.split()[0].split(",")[0] == str(other.ip))
    forged = tmp_path / "known_hosts"
    forged.write_text(f"{seat.ip} {' '.join(other_key.split()[1:])}\n")
    key = room.state.admin_key
    with pytest.raises(HostKeyError, match="CHANGED"):
        Connector("labadmin", key, known_hosts=forged, retries=0).connect(seat.name, str(seat.ip))
    forged.write_text("")
    with pytest.raises(HostKeyError, match="not in"):
        Connector("labadmin", key, known_hosts=forged, retries=0).connect(seat.name, str(seat.ip))


def test_password_login_is_refused(vroom, room):
    """Really offered a password (the student's real one, and one for the admin), sshd
    refuses: it allows public keys only. (An ssh client in batch mode never tries a
    password, so a refusal from it would prove nothing.)"""
    import paramiko
    from labctl.core.inventory import render_vars
    seat = room.seat("it01")
    password = render_vars(INVENTORY, [seat.name], ["vault_lab_student_password"])[seat.name][
        "vault_lab_student_password"]
    for user, secret in (("student", password), ("labadmin", password), ("root", password)):
        transport = paramiko.Transport((str(seat.ip), 22))
        try:
            transport.start_client(timeout=10)
            try:
                transport.auth_none(user)
            except paramiko.BadAuthenticationType as exc:
                assert exc.allowed_types == ["publickey"], (user, exc.allowed_types)
            with pytest.raises(paramiko.AuthenticationException):
                transport.auth_password(user, secret)
            assert not transport.is_authenticated()
        finally:
            transport.close()


def test_a_seat_reboots_and_reboot_restore_discards_its_changes(vroom, connector, room):
    keep, wipe = room.seat("it03"), room.seat("it04")
    for seat in (keep, wipe):
        # /run is a tmpfs: its marker is gone once the seat has really rebooted
        assert ssh(connector, seat, "sudo touch /usr/local/planted /run/before-reboot && sync").ok
        ssh(connector, seat, "sudo systemctl reboot")

    def rebooted(seat):
        try:
            return ssh(connector, seat, "test ! -e /run/before-reboot").ok
        except ConnectError:
            return False

    for seat in (keep, wipe):
        assert wait_for(lambda s=seat: rebooted(s), 60), f"{seat.name} did not reboot"
    assert ssh(connector, keep, "test -e /usr/local/planted").ok, "profile seat keeps its disk"
    assert not ssh(connector, wipe, "test -e /usr/local/planted").ok, "reboot-restore wipes it"


def test_each_seat_has_its_own_cgroup_and_a_console_that_is_read(vroom, room):
    """Seats that shared one cgroup tree waited for each other's units at shutdown, and a
    console nobody read blocked PID 1 once its buffer was full (docs/reset.md)."""
    groups = set()
    for seat in room.seats:
        seat_dir = vroom.seat_dir(seat)
        machine = json.loads((seat_dir / "seat.json").read_text())["machine"]
        nspawn = int((seat_dir / "nspawn.pid").read_text())
        pid1 = next(p for p in container_pids(nspawn) if is_init(p))
        lines = open(f"/proc/{pid1}/cgroup").read().splitlines()
        tracked = [line.split(":", 2)[2] for line in lines
                   if line.split(":")[1] in ("", "name=systemd")]
        assert tracked and all(p.startswith(f"/labctl/{machine}/payload") for p in tracked), \
            f"{seat.name}'s PID 1 is in {tracked}"
        groups.add(tracked[0])
        log = (seat_dir / "console.log").read_text(errors="replace")
        assert "Welcome to" in log.rsplit(f"booting {seat.name}", 1)[-1], \
            f"{seat.name}: nothing on its console since it booted"
    assert len(groups) == len(room.seats)


def test_a_stopped_seat_starts_again(vroom, room):
    seat = room.seat("it02")
    assert main(["vlab", "stop", "it02", "-i", str(INVENTORY)]) == 0
    assert not ssh_answers(str(seat.ip))
    assert vroom.status([seat])[0].state == "stopped"
    assert main(["vlab", "start", "it02", "-i", str(INVENTORY)]) == 0
    assert vroom.status([seat])[0].state == "running"


def test_a_bad_inventory_touches_nothing(tmp_path, capsys):
    bad = tmp_path / "bad"
    copy_inventory(bad)
    hosts = bad / "hosts.yml"
    hosts.write_text(hosts.read_text().replace("lab_room_name", "x").replace(
        "52:54:00:78:01:03", "52:54:00:78:01:01"))
    (bad / "group_vars/all/room.yml").write_text(
        (bad / "group_vars/all/room.yml").read_text().replace("itest", "itbad"))
    before = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert main(["vlab", "up", "-i", str(bad)]) == 2
    assert "duplicate MAC" in capsys.readouterr().err
    after = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert before == after
    assert not os.path.exists("/var/lib/labctl/rooms/itbad")


def test_a_clashing_subnet_is_refused(vroom, tmp_path, capsys):
    other = tmp_path / "other"
    copy_inventory(other)
    (other / "group_vars/all/room.yml").write_text(
        (other / "group_vars/all/room.yml").read_text().replace("itest", "itclash"))
    assert main(["vlab", "up", "-i", str(other)]) == 3
    err = capsys.readouterr().err
    assert "clashes with the route 10.78.0.0/24 on lab-itest" in err
    assert "lab_room_subnet" in err


def test_down_after_a_crash_leaves_nothing(vroom, room):
    """Kill one seat's runner and nspawn with SIGKILL: its systemd lives on; down ends it.
    The room is brought up again afterwards (its disks were kept): the tests after this one,
    in any order, find it as the session left it."""
    try:
        _crash_then_down(vroom, room)
    finally:
        assert main(["vlab", "up", "-i", str(INVENTORY)]) == 0


def _crash_then_down(vroom, room):
    seat = room.seat("it01")
    sd = vroom.seat_dir(seat)
    runner = int((sd / "runner.pid").read_text())
    nspawn = int((sd / "nspawn.pid").read_text())
    os.kill(runner, signal.SIGKILL)
    os.kill(nspawn, signal.SIGKILL)
    assert wait_for(lambda: not os.path.exists(f"/proc/{nspawn}/status")
                    or "Z" in open(f"/proc/{nspawn}/status").read().split("State:")[1][:4], 10)
    assert ssh_answers(str(seat.ip)), "the orphaned container still runs its sshd"
    assert main(["vlab", "down", "-i", str(INVENTORY)]) == 0
    assert vroom.leftovers() == []
    assert main(["vlab", "down", "-i", str(INVENTORY)]) == 0, "down is safe to run twice"
    assert vroom.leftovers() == []
