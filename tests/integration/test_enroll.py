"""`labctl enroll`: a PC that already runs Debian (a fresh host key, the admin's password,
sudo with that password, password logins allowed, no admin key) joins the room on the
technician's word. A seat of the virtual room is made into such a PC, then enrolled."""

import io
import json
import secrets
import shlex
import subprocess
import sys
import urllib.error
import urllib.request

import paramiko
import pytest

from labctl.cli import main
from labctl.core import audit, knownhosts
from labctl.core.enroll import DROP_IN, password_offered
from labctl.core.hostkeys import fingerprint, recorded
from labctl.core.playbook import run_playbook
from labctl.core.ssh import run
from tests.vroom import INVENTORY, copy_inventory, ssh

SEAT = "it03"
# what the seat's disk holds of the room's, put back after the test (paths under its root)
KEPT = ["home/labadmin/.ssh/authorized_keys", "etc/ssh/sshd_config.d/10-lab.conf",
        "etc/shadow", "etc/sudoers.d"]
FRESH = ("IFS= read -r pw && printf 'labadmin:%s\\n' \"$pw\" | chpasswd && "
         "rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub && "
         "ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && "
         "printf 'PasswordAuthentication yes\\n' > /etc/ssh/sshd_config.d/05-fresh-debian.conf && "
         "rm -rf /etc/ssh/sshd_config.d/10-lab.conf /home/labadmin/.ssh/authorized_keys "
         "/etc/sudoers.d/* && systemctl restart ssh")


@pytest.fixture
def fresh_pc(provisioned, connector, tmp_path):
    """it03 as a PC that runs Debian but is not the room's yet; afterwards it is put back
    from its own disk and powered off and on (which gives it back its recorded identity)."""
    vroom, _ = provisioned
    room, seat = vroom.room, vroom.room.seat(SEAT)
    root = vroom.seat_dir(seat) / "root"
    keep = tmp_path / "keep"
    keep.mkdir()
    for rel in KEPT:
        subprocess.run(["cp", "-a", "--parents", rel, str(keep)], cwd=root, check=True)
    password = "Enrol-" + secrets.token_hex(8)
    try:
        with connector.session(seat) as client:
            assert run(client, f"sudo sh -c {shlex.quote(FRESH)}", input=password + "\n").ok
        knownhosts.remove([str(seat.ip)], room.state.known_hosts)  # a PC the room never saw
        yield vroom, seat, password, fingerprint((root / "etc/ssh/ssh_host_ed25519_key.pub").read_text())
    finally:
        for rel in ("etc/ssh/sshd_config.d/05-fresh-debian.conf", DROP_IN.lstrip("/")):
            (root / rel).unlink(missing_ok=True)
        subprocess.run(["rm", "-rf", str(root / "etc/sudoers.d")], check=True)
        for rel in KEPT:
            subprocess.run(["cp", "-a", "--parents", rel, str(root)], cwd=keep, check=True)
        vroom.stop_seat(seat)
        vroom.start_seat(seat)
        assert vroom.wait_ready([seat], 120)[0].ssh
        assert ssh(connector, seat, "sudo -n true").ok


def enroll(monkeypatch, capsys, password, *args) -> tuple[int, dict, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))  # no terminal
    code = main(["enroll", "-i", str(INVENTORY), SEAT, "--password-stdin", "--json", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out), out + err


def password_login(seat, pub_path, password) -> bool:
    """A password login of the admin, to the key the seat now has (verified)."""
    client = paramiko.SSHClient()
    key = pub_path.read_text().split()
    client.get_host_keys().add(str(seat.ip), key[0], paramiko.PKey.from_type_string(
        key[0], __import__("base64").b64decode(key[1])))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(str(seat.ip), username="labadmin", password=password, allow_agent=False,
                       look_for_keys=False, timeout=10)
        return True
    except paramiko.AuthenticationException:
        return False
    finally:
        client.close()


def test_a_debian_pc_is_enrolled_on_the_technicians_word_and_nothing_changes_without_it(
        fresh_pc, connector, monkeypatch, capsys):
    vroom, seat, password, new = fresh_pc
    room = vroom.room
    pub = vroom.seat_dir(seat) / "root/etc/ssh/ssh_host_ed25519_key.pub"
    authorized = vroom.seat_dir(seat) / "root/home/labadmin/.ssh/authorized_keys"
    assert password_login(seat, pub, password) and password_offered(seat, "labadmin")

    # a fingerprint that is not the seat's: refused before the password is sent
    code, answer, printed = enroll(monkeypatch, capsys, password, "--expect-fingerprint",
                                   "SHA256:" + "A" * 43)
    (result,) = answer["results"]
    assert code == 1 and result["outcome"] == "refused" and result["fingerprint"] == new
    assert "not sent" in result["detail"]
    assert recorded(seat, room.state.known_hosts) == [] and not authorized.exists()
    assert password_login(seat, pub, password), "the seat was changed by a refused enrolment"

    # no fingerprint to compare and no terminal to ask: refused the same way
    code, answer, printed = enroll(monkeypatch, capsys, password)
    assert code == 1 and answer["results"][0]["outcome"] == "refused"
    assert recorded(seat, room.state.known_hosts) == [] and not authorized.exists()

    # the fingerprint the seat's console shows: enrolled
    code, answer, printed = enroll(monkeypatch, capsys, password, "--expect-fingerprint", new)
    (result,) = answer["results"]
    assert code == 0 and result["outcome"] == "enrolled", result
    assert [fingerprint(k) for k in recorded(seat, room.state.known_hosts)] == [new]
    assert ssh(connector, seat, "true").ok, "the room's admin key does not log in"
    assert not ssh(connector, seat, "sudo -n true").ok  # sudo took the password: a fresh PC
    assert not password_offered(seat, "labadmin"), "sshd still offers the admin a password"
    assert not password_login(seat, pub, password)
    # and again: already enrolled, nothing asked of the seat
    code, answer, printed2 = enroll(monkeypatch, capsys, password)
    assert code == 0 and "already enrolled" in answer["results"][0]["detail"]

    events = audit.query(room.name, seat=SEAT, action="enroll")
    assert [e.outcome for e in events[-4:]] == ["refused", "refused", "ok", "ok"]
    for where in [printed, printed2] + [e.detail for e in events]:
        assert password not in where, "the password reached the output or the audit log"


# --- a PC the network install made: its installer handed its host key over -----------------

HANDOVER = ("import sys, urllib.request as u\n"
            "key = open(sys.argv[2], 'rb').read()\n"
            "try:\n"
            "    r = u.urlopen(u.Request(sys.argv[1], data=key, method='PUT'), timeout=20)\n"
            "    print(r.status)\n"
            "except u.HTTPError as e:\n"
            "    print(e.code)\n")


def in_seat(vroom, seat, *command: str) -> subprocess.CompletedProcess:
    """Run a command as root inside a virtual seat, from the admin host (its container's
    namespaces): the room no longer reaches it over SSH once its new key is not recorded."""
    import psutil
    (status,) = vroom.status([seat])
    leader = psutil.Process(status.nspawn_pid).children()[0].pid  # the container's init
    return subprocess.run(["nsenter", "-t", str(leader), "-m", "-u", "-i", "-n", "-p", *command],
                          capture_output=True, text=True, timeout=60)


def hand_over(vroom, seat, server, key_file: str, as_seat: str = SEAT) -> int:
    """The installer's last step, as the seat would send it: its host key PUT to the lab
    server's address for as_seat (the preseed does it with curl -T; the same request)."""
    url = f"http://{server.ip}/lab-install/hostkey/{as_seat}"
    out = in_seat(vroom, seat, "python3", "-c", HANDOVER, url, key_file)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.strip())


@pytest.fixture
def installed_pc(provisioned, connector, tmp_path):
    """it03 armed for install on the lab server (lab_install: true) and with a new host key,
    as the network install leaves a PC: the admin key in place, its key not yet recorded.
    Afterwards it is powered off and on (its recorded identity back) and the server disarmed."""
    vroom, _ = provisioned
    room, seat = vroom.room, vroom.room.seat(SEAT)
    inventory = copy_inventory(tmp_path / "inventory")
    with open(inventory / "group_vars" / "servers.yml", "a") as f:
        f.write("lab_server_pxe: true\n")
    (inventory / "host_vars").mkdir(exist_ok=True)
    (inventory / "host_vars" / f"{SEAT}.yml").write_text("lab_install: true\n")
    try:
        served = run_playbook(inventory, "server.yml", limit="servers")
        assert served.succeeded, served.output[-3000:]
        assert ssh(connector, seat, "sudo sh -c 'rm -f /etc/ssh/ssh_host_ed25519_key* && "
                   "ssh-keygen -q -t ed25519 -N \"\" -f /etc/ssh/ssh_host_ed25519_key && "
                   "systemctl restart ssh'").ok
        knownhosts.remove([str(seat.ip)], room.state.known_hosts)  # a PC the room never saw
        pub = vroom.seat_dir(seat) / "root/etc/ssh/ssh_host_ed25519_key.pub"
        yield vroom, seat, fingerprint(pub.read_text())
    finally:
        vroom.stop_seat(seat)
        vroom.start_seat(seat)
        assert vroom.wait_ready([seat], 120)[0].ssh
        back = run_playbook(INVENTORY, "server.yml", limit="servers")  # disarmed, key gone
        assert back.succeeded, back.output[-3000:]


def enroll_installed(capsys) -> tuple[int, dict]:
    code = main(["enroll", "-i", str(INVENTORY), SEAT, "--installed", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_an_installed_pc_is_enrolled_from_the_key_its_installer_handed_over(
        installed_pc, connector, capsys):
    vroom, seat, new = installed_pc
    room, server = vroom.room, vroom.room.servers[0]
    key_file = "/etc/ssh/ssh_host_ed25519_key.pub"

    # nothing handed over yet: nothing recorded, the seat is not trusted on the network's word
    code, answer = enroll_installed(capsys)
    assert code == 1 and answer["results"][0]["outcome"] == "failed"
    assert "handed no host key" in answer["results"][0]["detail"]
    assert recorded(seat, room.state.known_hosts) == []

    # only the seat's own address may hand its key over, and only by PUT
    other = room.seat("it04")
    assert hand_over(vroom, other, server, key_file) == 403  # another seat, as it03
    req = urllib.request.Request(f"http://{server.ip}/lab-install/hostkey/{SEAT}",
                                 data=b"ssh-ed25519 AAAA x\n", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:  # the admin host's address
        urllib.request.urlopen(req, timeout=10)
    assert refused.value.code == 403
    assert hand_over(vroom, seat, server, key_file, as_seat="it04") == 403  # not armed

    # a key that is not the one the seat offers (its installer ran on another PC): refused
    assert in_seat(vroom, seat, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                   "/root/other").returncode == 0
    assert hand_over(vroom, seat, server, "/root/other.pub") in (201, 204)
    code, answer = enroll_installed(capsys)
    (result,) = answer["results"]
    assert code == 1 and result["outcome"] == "refused" and result["fingerprint"] == new
    assert recorded(seat, room.state.known_hosts) == []

    # the key the installer handed over is the one the seat offers: enrolled, no password
    assert hand_over(vroom, seat, server, key_file) in (201, 204)
    code, answer = enroll_installed(capsys)
    (result,) = answer["results"]
    assert code == 0 and result["outcome"] == "enrolled", result
    assert "handed over by its installer" in result["detail"]
    assert [fingerprint(k) for k in recorded(seat, room.state.known_hosts)] == [new]
    assert ssh(connector, seat, "true").ok
    events = audit.query(room.name, seat=SEAT, action="enroll")
    assert [e.outcome for e in events[-3:]] == ["failed", "refused", "ok"]
