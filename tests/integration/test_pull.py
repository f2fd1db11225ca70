"""Pull mode on the virtual room: each terminal converges itself from the lab server's copy
of the project (labctl-pull), the admin host only starts the runs and reads their events.
Idempotent, drift repaired by the same run, one failing seat reported with its reason while
the others finish, and nothing a student or the network can change reaches root's run."""

import json

import pytest

from labctl.cli import main
from labctl.core import pull
from labctl.core.inventory import render_vars

from .conftest import INVENTORY, ssh

TERMINALS = ["it01", "it02", "it03", "it04"]


@pytest.fixture(scope="module", autouse=True)
def _no_payload_left(provisioned, connector):
    """A seat keeps the last payload for its boot timer's run, which would converge it five
    minutes after its next boot, in the middle of another test (test_check's drifts):
    the terminals forget it afterwards, and the timer has nothing to run."""
    yield
    vroom, _ = provisioned
    for name in TERMINALS:
        ssh(connector, vroom.room.seat(name), "sudo rm -f /var/lib/labctl/pull/payload.json")


def provision_pull(capsys, *extra) -> dict:
    capsys.readouterr()
    code = main(["provision", "terminals.yml", "--pull", "--json", "-i", str(INVENTORY), *extra])
    report = json.loads(capsys.readouterr().out)
    report["code"] = code
    return report


def hosts(report) -> dict:
    return {h["host"]: h for h in report["hosts"]}


def test_pull_converges_repairs_drift_and_then_changes_nothing(provisioned, connector, capsys):
    vroom, _ = provisioned
    first = provision_pull(capsys)
    assert first["code"] == 0 and first["ok"], first
    assert sorted(hosts(first)) == TERMINALS and first["playbook"] == "terminals.yml (pull)"
    # drift on one seat: its reset tool gone, and a package removed (the roles' package
    # tasks skip apt when dpkg says every package is there: this one is not)
    it02 = vroom.room.seat("it02")
    assert ssh(connector, it02, "sudo rm /usr/local/sbin/lab-reset && "
                                "sudo DEBIAN_FRONTEND=noninteractive apt-get remove -y -q at").ok
    repaired = hosts(provision_pull(capsys))
    assert repaired["it02"]["changed"] >= 1 and repaired["it02"]["outcome"] == "ok", repaired
    assert {h: r["changed"] for h, r in repaired.items() if h != "it02"} == \
        {h: 0 for h in TERMINALS if h != "it02"}, repaired
    assert ssh(connector, it02, "sudo test -x /usr/local/sbin/lab-reset").ok
    assert ssh(connector, it02, "dpkg-query -W -f '${db:Status-Status}' at").stdout == "installed"
    again = provision_pull(capsys)
    assert again["code"] == 0 and {h: r["changed"] for h, r in hosts(again).items()} == \
        {h: 0 for h in TERMINALS}, again


def test_a_seat_whose_run_fails_is_reported_with_its_reason(provisioned, connector, capsys):
    vroom, _ = provisioned
    it04 = vroom.room.seat("it04")
    assert ssh(connector, it04, "sudo systemctl mask --now mariadb").ok
    try:
        report = provision_pull(capsys)
        assert report["code"] == 1 and not report["ok"]
        by = hosts(report)
        assert by["it04"]["outcome"] == "failed" and by["it04"]["failed"] >= 1
        assert "lab_mysql" in by["it04"]["detail"] and "mariadb" in by["it04"]["detail"], by["it04"]
        # the others finished, and changed nothing
        assert {h: (r["outcome"], r["changed"]) for h, r in by.items() if h != "it04"} == \
            {h: ("ok", 0) for h in TERMINALS if h != "it04"}, by
    finally:
        assert ssh(connector, it04, "sudo systemctl unmask mariadb && sudo systemctl start mariadb").ok
    assert provision_pull(capsys, "--limit", "it04")["ok"]


def test_the_audit_log_has_each_seats_pull(provisioned, capsys):
    provision_pull(capsys, "--limit", "it01")
    capsys.readouterr()
    assert main(["audit", "-i", str(INVENTORY), "--seat", "it01", "--action", "provision",
                 "--format", "json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert any("terminals.yml (pull)" in e["detail"] for e in events), events[-3:]


def test_students_and_the_network_cannot_change_what_root_runs(provisioned, connector, capsys):
    vroom, _ = provisioned
    seat = vroom.room.seat("it03")
    # the suite runs in a random order: this seat's own pull leaves the payload looked at here
    assert provision_pull(capsys, "--limit", "it03")["ok"]
    # the state, the payload (this seat's secrets) and the environment are root's alone
    mode = ssh(connector, seat, "sudo stat -c '%U %a' /var/lib/labctl/pull "
                                "/var/lib/labctl/pull/payload.json /opt/labctl/ansible/")
    assert mode.stdout.split("\n")[:2] == ["root 700", "root 600"], mode
    assert mode.stdout.split("\n")[2] == "root 755", mode
    # the boot timer that converges a seat switched on after a change is there
    assert ssh(connector, seat, "systemctl is-enabled labctl-pull.timer").stdout.strip() == "enabled"
    student = ssh(connector, seat, "sudo runuser -u student -- sh -c "
                                   "'cat /var/lib/labctl/pull/payload.json; "
                                   "sudo -n /usr/local/sbin/labctl-pull run </dev/null'")
    assert not student.ok and "Permission denied" in student.stderr
    # the payload holds the seat's own values (the students' passwords, which its accounts
    # get), not the vault's variables, the room's seat database secret or Veyon's private key
    payload = ssh(connector, seat, "sudo cat /var/lib/labctl/pull/payload.json").stdout
    room_secrets = render_vars(INVENTORY, ["it03"], ["vault_lab_seat_db_secret",
                                                     "vault_lab_veyon_private_key"])["it03"]
    assert room_secrets and all(str(v) not in payload for v in room_secrets.values())
    assert "vault_" not in payload and "PRIVATE KEY" not in payload
    assert "BEGIN PUBLIC KEY" in payload
    # a project whose bytes are not the sha256 labctl sent is refused before anything runs
    forged = json.loads(payload)
    forged["artifacts"]["project"] = "0" * 64
    run = ssh(connector, seat, "sudo /usr/local/sbin/labctl-pull run <<'EOF'\n"
                               f"{json.dumps(forged)}\nEOF")
    assert run.exit_status == 2
    error = json.loads(run.stdout.strip().splitlines()[-1])
    assert error["e"] == "error" and "cannot download" in error["msg"], error
    # a payload whose values would reach argv or paths is refused as a whole
    forged = json.loads(payload)
    forged["host"] = "it03 --extra-vars @/home/student/x.yml"
    run = ssh(connector, seat, "sudo /usr/local/sbin/labctl-pull run <<'EOF'\n"
                               f"{json.dumps(forged)}\nEOF")
    assert run.exit_status == 2 and "is not a host name" in run.stdout


def test_a_wrong_archive_on_the_server_is_refused(provisioned, connector, capsys):
    """The lab server (or anyone answering in its place) serves other bytes under the name
    the admin host asked for: the seat refuses them."""
    vroom, _ = provisioned
    assert provision_pull(capsys, "--limit", "it01")["ok"]
    room = vroom.room
    sha = pull.project()
    server, seat = room.servers[0], room.seat("it01")
    bad = "a" * 64
    assert ssh(connector, server, f"sudo cp /srv/lab/mirror/pull/project-{sha}.tar.gz "
                                  f"/srv/lab/mirror/pull/project-{bad}.tar.gz").ok
    try:
        payload = json.loads(ssh(connector, seat, "sudo cat /var/lib/labctl/pull/payload.json").stdout)
        payload["artifacts"]["project"] = bad
        run = ssh(connector, seat, "sudo /usr/local/sbin/labctl-pull run <<'EOF'\n"
                                   f"{json.dumps(payload)}\nEOF")
        assert run.exit_status == 2 and f"not {bad}: refused" in run.stdout, run
        assert not ssh(connector, seat, f"sudo test -e /var/lib/labctl/pull/project-{bad}").ok
    finally:
        ssh(connector, server, f"sudo rm -f /srv/lab/mirror/pull/project-{bad}.tar.gz")
