"""A student is an adversary: each attack is planted as the real student (a login with the
student's own password, `su - student`, whose password goes on standard input), then the
real provisioning and reset run, and the test proves nothing came of it. The secrets test
runs the whole site.yml at -vvv and looks for every vault secret in every byte it can find."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess

import pytest

from labctl.cli import main
from labctl.core import paths
from labctl.core.inventory import render_vars
from labctl.core.playbook import run_playbook
from labctl.core.ssh import run

from .conftest import INVENTORY, ssh

SEAT = "it01"
# What may belong to the student outside their home: the scratch places they may write in.
STUDENT_PLACES = ("/home/student", "/tmp", "/var/tmp", "/dev/shm", "/run/user", "/proc", "/sys",
                  "/var/spool/cron", "/var/spool/cron/atjobs", "/var/mail")


@pytest.fixture(scope="module")
def secrets(provisioned):
    """The room's vault secrets, and the student's passwords as the roles see them."""
    names = ["vault_lab_student_password", "vault_lab_student_db_password",
             "vault_lab_seat_db_secret"]
    values = render_vars(INVENTORY, [SEAT], names)[SEAT]
    assert set(values) == set(names) and all(len(str(v)) >= 8 for v in values.values())
    return values


def as_student(connector, seat, command: str, password: str):
    """Run `command` in a login session of the student's, with the student's password."""
    client = connector.connect(seat.name, str(seat.ip))
    try:
        return run(client, f"su - student -c {shlex.quote(command)}", input=password + "\n")
    finally:
        client.close()


def outside_home(connector, seat) -> list[str]:
    prune = " -o ".join(f"-path {p}" for p in STUDENT_PLACES)
    out = ssh(connector, seat, f"sudo find / -xdev \\( {prune} \\) -prune -o -user student -print")
    return [line for line in out.stdout.splitlines() if line.strip()]


def reset(seat_name: str) -> None:
    assert main(["reset", "-i", str(INVENTORY), "--seats", seat_name, "--force"]) == 0


def test_a_students_links_do_not_lead_root_out_of_the_home(provisioned, connector, secrets):
    """The attack of the issue: dangling links where the golden home has files. Provisioning
    (lab-reset init, run as root by the role) must not create or chown their targets."""
    vroom, _ = provisioned
    seat = vroom.room.seat(SEAT)
    pw = secrets["vault_lab_student_password"]
    try:
        planted = as_student(connector, seat,
                             "rm -f ~/.profile ~/实训室说明.txt && "
                             "ln -s /etc/profile.d/zz-student.sh ~/.profile && "
                             "ln -s /etc/cron.d/zz-student ~/实训室说明.txt && "
                             "mkdir -p ~/.config && ln -s /etc/sudoers.d ~/.config/sudo && id -un", pw)
        assert planted.ok and planted.stdout.strip() == "student", planted.stderr
        result = run_playbook(INVENTORY, "terminals.yml", limit=SEAT, extra_args=["--tags", "lab_reset"])
        assert result.succeeded, result.output[-3000:]
        for target in ("/etc/profile.d/zz-student.sh", "/etc/cron.d/zz-student"):
            assert not ssh(connector, seat, f"sudo test -e {target}").ok, f"root created {target}"
        assert outside_home(connector, seat) == []
        # the links are the student's own and stay as they were: nothing written through them
        assert ssh(connector, seat, "sudo test -L /home/student/.profile").ok
        sudo = as_student(connector, seat, "sudo -n true; id -Gn", pw)
        assert "sudo" not in sudo.stdout.split() and "password is required" in sudo.stderr \
            or "may not run sudo" in sudo.stderr, sudo.stdout + sudo.stderr
        # and the reset puts the golden files back in place of the links
        reset(SEAT)
        assert ssh(connector, seat, "sudo test -f /home/student/.profile -a ! -L /home/student/.profile").ok
    finally:
        reset(SEAT)


def test_the_reset_follows_no_link_and_a_fifo_does_not_hang_the_verification(
        provisioned, connector, secrets):
    vroom, _ = provisioned
    seat = vroom.room.seat(SEAT)
    pw = secrets["vault_lab_student_password"]
    before = ssh(connector, seat, "sudo stat -c '%U %a %s' /etc/shadow /etc/passwd /etc/sudoers.d")
    try:
        planted = as_student(connector, seat,
                             "ln -s /etc/shadow ~/shadow && ln -s /etc ~/etc && ln -s /etc/passwd /tmp/pw"
                             " && rm -rf ~/.cache && ln -s /etc/sudoers.d ~/.cache && mkfifo ~/pipe"
                             " && mkfifo /tmp/pipe.student && echo planted", pw)
        assert "planted" in planted.stdout, planted.stderr
        verify = ssh(connector, seat, "sudo timeout 60 /usr/local/sbin/lab-reset verify")
        assert verify.exit_status == 1, (verify.exit_status, verify.stdout, verify.stderr)  # not 124
        assert "pipe" in verify.stdout and "left in /home/student" in verify.stdout
        reset(SEAT)
        after = ssh(connector, seat, "sudo stat -c '%U %a %s' /etc/shadow /etc/passwd /etc/sudoers.d")
        assert after.stdout == before.stdout
        assert outside_home(connector, seat) == []
        assert not ssh(connector, seat, "sudo test -e /home/student/pipe -o -L /home/student/etc").ok
    finally:
        reset(SEAT)


def test_a_database_the_student_names_with_backticks_does_not_stop_the_reset(
        provisioned, connector, secrets):
    vroom, _ = provisioned
    seat = vroom.room.seat(SEAT)
    db_pw = secrets["vault_lab_student_db_password"]
    hostile = ["student_x`; DROP DATABASE mysql; --", "student_%", "student_a\\_b", "student_中文"]
    sql = "".join(f"CREATE DATABASE `{name.replace('`', '``')}`; " for name in hostile)
    try:
        client = connector.connect(seat.name, str(seat.ip))
        try:
            # the student's own MySQL login (their MySQL password on standard input, never argv),
            # in a session of the student's opened by root (the login itself is proven above)
            script = (f"read -r pw; export MYSQL_PWD=\"$pw\"; mysql -u student -e {shlex.quote(sql)}"
                      " && mysql -N --raw -u student -e 'SHOW DATABASES'")
            made = run(client, f"sudo su - student -c {shlex.quote(script)}", input=db_pw + "\n")
        finally:
            client.close()
        assert made.ok, made.stderr
        assert all(name in made.stdout for name in hostile), made.stdout
        reset(SEAT)
        left = ssh(connector, seat, "sudo mysql -N -e 'SHOW DATABASES'").stdout.split("\n")
        assert not [d for d in left if d.startswith("student_") and d not in (
            "student_shop", "student_practice")], left
        assert "mysql" in left
    finally:
        reset(SEAT)


def test_sshd_refuses_root_and_each_seat_keeps_its_own_salt(provisioned, connector, secrets):
    vroom, _ = provisioned
    seat, other = vroom.room.seat(SEAT), vroom.room.seat("it02")
    assert "permitrootlogin no" in ssh(connector, seat, "sudo sshd -T").stdout.splitlines()
    # a seat whose password must be set anew gets a salt of its own, not one every seat shares
    assert ssh(connector, other, "sudo usermod -p '!' student").ok
    result = run_playbook(INVENTORY, "terminals.yml", limit="it02",
                          extra_args=["--tags", "lab_common::accounts"])
    assert result.succeeded and result.recap["it02"].changed >= 1, result.output[-2000:]
    hashes = {s.name: ssh(connector, s, "sudo getent shadow student").stdout.split(":")[1]
              for s in (seat, other)}
    salts = {name: h.split("$")[3] for name, h in hashes.items()}
    assert salts[SEAT] != salts["it02"], salts
    assert as_student(connector, other, "id -un", secrets["vault_lab_student_password"]).ok
    again = run_playbook(INVENTORY, "terminals.yml", limit="it02",
                         extra_args=["--tags", "lab_common::accounts"])
    assert again.succeeded and again.recap["it02"].changed == 0, "the seat's own hash is kept"


def test_no_secret_reaches_any_output_log_or_store(provisioned, connector, secrets, capsys, tmp_path):
    vroom, _ = provisioned
    values = [str(v) for v in secrets.values()]
    # the seats' own database passwords, derived from the vault's secret (playbooks/server.yml)
    values += [hashlib.sha256(f"{secrets['vault_lab_seat_db_secret']}/{s.name}".encode()).hexdigest()[:24]
               for s in vroom.room.terminals]
    site = run_playbook(INVENTORY, "site.yml", extra_args=["-vvv"])
    assert site.succeeded, site.output[-2000:]
    assert main(["check", "-i", str(INVENTORY), "--limit", SEAT, "--json",
                 "--junit", str(tmp_path / "junit.xml")]) in (0, 1)
    assert main(["provision", "-i", str(INVENTORY), "--limit", SEAT, "--check"]) in (0, 1)
    printed = capsys.readouterr()
    texts = {"site.yml -vvv": site.output, "labctl's output": printed.out + printed.err,
             "JUnit": (tmp_path / "junit.xml").read_text()}
    # labctl's state (each room's fact cache, known_hosts, audit), not the seats' own disks
    for path in sorted(p for p in paths.STATE.rglob("*") if p.is_file() and not p.is_symlink()
                       and not {"images", "seats", "mirror"} & set(p.parts)
                       and p.stat().st_size < 50_000_000):
        texts[str(path)] = path.read_bytes().decode("utf-8", "replace")
    for where, text in texts.items():
        for value in values:
            assert value not in text, f"a secret is in {where}"
    # on every seat and the server: logs, the journal, configuration, homes and scratch space
    look = ("f=$(mktemp -p /run); cat > \"$f\"; journalctl --no-pager -o cat | grep -cF -f \"$f\"; "
            "grep -rlsF -f \"$f\" /var/log /etc /root /home /tmp /var/tmp /var/lib/lab-reset "
            "/var/lib/lab-coursedata /var/cache/ansible 2>/dev/null; rm -f \"$f\"")
    for seat in vroom.room.seats:
        client = connector.connect(seat.name, str(seat.ip))
        try:
            found = run(client, f"sudo sh -c {shlex.quote(look)}", input="\n".join(values) + "\n",
                        timeout=120)
        finally:
            client.close()
        lines = found.stdout.split()
        assert lines and lines[0] == "0", f"{seat.name}: a secret is in its journal"
        assert lines[1:] == [], f"{seat.name}: a secret is in {lines[1:]}"


def test_the_state_directory_and_audit_store_are_roots_alone(provisioned):
    state = provisioned[0].room.state
    assert paths.STATE.stat().st_mode & 0o777 == 0o700
    assert state.dir.stat().st_mode & 0o777 == 0o700
    assert paths.AUDIT_DB.exists() and paths.AUDIT_DB.stat().st_mode & 0o777 == 0o600
    assert any(state.facts.iterdir()), "the room's facts are cached in its own state directory"
    for path in (paths.AUDIT_DB, state.facts, state.known_hosts, state.admin_key):
        other = subprocess.run(["runuser", "-u", "nobody", "--", "ls", "-l", str(path)],
                               capture_output=True, text=True)
        assert other.returncode != 0 and "Permission denied" in other.stderr, (path, other)


def test_the_roles_grants_keep_two_students_apart_even_with_an_underscore(provisioned, connector):
    """`_` in a grant's pattern is a wildcard unless escaped: with the grant the role makes,
    student s_1 reaches s_1_* only, never sx1_* (which `s_1\\_%` would match)."""
    vroom, _ = provisioned
    seat = vroom.room.seat(SEAT)
    students = [{"name": "s_1", "password": "pw-s1-Ex4mple"}, {"name": "sx1", "password": "pw-sx1-Ex4mple"}]
    extra = json.dumps({"lab_mysql_students": students})
    try:
        result = run_playbook(INVENTORY, "terminals.yml", limit=SEAT,
                              extra_args=["--tags", "lab_mysql::students", "-e", extra])
        assert result.succeeded, result.output[-2000:]
        client = connector.connect(seat.name, str(seat.ip))
        try:
            mine = run(client, "read -r pw; MYSQL_PWD=$pw mysql -N --raw -u s_1 -e 'SHOW DATABASES'",
                       input=students[0]["password"] + "\n")
            theirs = run(client, "read -r pw; MYSQL_PWD=$pw mysql -N -u s_1 -e 'SHOW TABLES FROM sx1_practice'",
                         input=students[0]["password"] + "\n")
        finally:
            client.close()
        assert mine.ok and "s_1_practice" in mine.stdout.split(), mine.stdout + mine.stderr
        assert "sx1_practice" not in mine.stdout
        assert not theirs.ok and "denied" in theirs.stderr, theirs.stdout + theirs.stderr
    finally:
        ssh(connector, seat, "sudo mysql -e \"DROP USER IF EXISTS 's_1'@'localhost', 'sx1'@'localhost';"
                             " DROP DATABASE IF EXISTS s_1_practice; DROP DATABASE IF EXISTS sx1_practice\"")
