"""The playbooks on the virtual room: clean, idempotent, honest in check mode, self-repairing,
and refusing bad role input before any task changes anything."""

import os
import sys
from pathlib import Path

import pytest

from labctl.cli import main

from labctl.core.playbook import run_playbook

from .conftest import INVENTORY, ssh


def test_site_runs_clean_on_every_host(provisioned):
    vroom, result = provisioned
    assert result.succeeded, result.output[-3000:]
    assert set(result.recap) == {s.name for s in vroom.room.seats} | {"itest-sw"}
    # the terminals booted on the layer one terminal was provisioned into: nothing left to do
    assert {h: r.changed for h, r in result.recap.items()} == {h: 0 for h in result.recap}, \
        changed_tasks(result.output)


def changed_tasks(output: str) -> list[str]:
    """Which task changed on which host, from Ansible's display (for a failure's message)."""
    task, found = "", []
    for line in output.splitlines():
        if line.startswith("TASK ["):
            task = line.strip("* ")
        elif line.startswith("changed:"):
            found.append(f"{task}: {line}")
    return found


def test_a_second_run_changes_nothing(provisioned):
    # a first run settles whatever the tests before this one did (a reset consumes a seat's
    # prepared database copy, which the next run makes again: a real change); the second
    # run after it must change nothing, whatever order the tests ran in
    first = run_playbook(INVENTORY, "site.yml")
    assert first.succeeded, first.output[-3000:]
    result = run_playbook(INVENTORY, "site.yml")
    assert result.succeeded, result.output[-3000:]
    assert {h: r.changed for h, r in result.recap.items()} == {h: 0 for h in result.recap}, \
        changed_tasks(result.output)


def test_check_mode_reports_nothing_to_change(provisioned):
    result = run_playbook(INVENTORY, "site.yml", check=True, diff=True)
    assert result.succeeded, result.output[-3000:]
    assert {h: r.changed for h, r in result.recap.items()} == {h: 0 for h in result.recap}


def test_the_terminals_really_have_their_software(provisioned, connector):
    vroom, _ = provisioned
    seat = vroom.room.seat("it03")
    dotnet = ssh(connector, seat, "dotnet /usr/local/share/labctl/labcheck.dll")
    assert dotnet.ok and "runtime 8.0.4, 6*7=42" in dotnet.stdout
    assert ssh(connector, seat, "systemctl is-active mariadb").stdout.strip() == "active"
    for binary in ("/usr/bin/chromium", "/usr/bin/firefox-esr", "/usr/bin/WebKitWebDriver"):
        assert ssh(connector, seat, f"test -x {binary}").ok, binary
    fact = ssh(connector, seat, "cat /etc/ansible/facts.d/lab_browsers.fact").stdout
    assert '"applicable": false' in fact and '"gecko"' in fact
    student = ssh(connector, seat, "sudo -n sudo -l -U student")
    assert "not allowed to run sudo" in student.stdout
    grants = ssh(connector, seat, "sudo mysql -N -e \"SHOW GRANTS FOR 'student'@'localhost'\"")
    assert "`student\\\\_%`.*" in grants.stdout and "*.*" not in grants.stdout.replace(
        "USAGE ON *.*", "")


def test_the_server_runs_its_services(provisioned, connector):
    vroom, _ = provisioned
    server = vroom.room.seat("itsrv")
    for unit in ("mariadb", "nginx", "apt-cacher-ng", "chrony", "dnsmasq"):
        assert ssh(connector, server, f"systemctl is-active {unit}").stdout.strip() == "active", unit
    conf = ssh(connector, server, "cat /etc/dnsmasq.d/lab.conf").stdout
    for seat in vroom.room.seats:
        assert f"dhcp-host={seat.mac},{seat.ip},{seat.name}" in conf
    page = ssh(connector, vroom.room.seat("it01"),
               "python3 -c \"import urllib.request as u; print(u.urlopen('http://10.78.0.10/test/').read().decode())\"")
    assert "#1e90ff" in page.stdout


def test_a_rerun_repairs_a_drifted_terminal(provisioned, connector):
    vroom, _ = provisioned
    seat = vroom.room.seat("it02")
    assert ssh(connector, seat, "sudo systemctl stop mariadb && "
                                "sudo DEBIAN_FRONTEND=noninteractive apt-get remove -y -q firefox-esr").ok
    assert not ssh(connector, seat, "test -x /usr/bin/firefox-esr").ok
    result = run_playbook(INVENTORY, "site.yml", limit="it02")
    assert result.succeeded, result.output[-3000:]
    assert result.recap["it02"].changed >= 2
    assert ssh(connector, seat, "systemctl is-active mariadb").stdout.strip() == "active"
    assert ssh(connector, seat, "test -x /usr/bin/firefox-esr").ok


BAD_INPUT = {
    "unknown .NET source": ({"lab_dotnet_source": "floppy"}, "lab_dotnet_source",
                            "value of lab_dotnet_source must be one of"),
    "malformed checksum": ({"lab_dotnet_checksum": "sha256:not-hex"}, "lab_dotnet_checksum",
                           "must be\nsha256: followed by"),
    "student without a password": ({"lab_common_students": [{"name": "bob"}]},
                                   "lab_common_students", "password"),
    # values that would reach a path, cron, a config file or SQL (docs/security.md)
    "student walking out of /home": ({"lab_common_students": [{"name": "../../etc", "password": "x"}]},
                                     "lab_common", "bad: ['../../etc']"),
    "time zone carrying a cron line": ({"lab_common_timezone": "Asia/Shanghai\n* * * * * root id"},
                                       "lab_common", "time zone"),
    "misspelt time zone": ({"lab_common_timezone": "Asia/Shangai"}, "lab_common_timezone",
                           "is not in this host's zone database"),
    "students whose names overlap": (
        {"lab_mysql_students": [{"name": "stu", "password": "x"}, {"name": "stu_a", "password": "y"}]},
        "lab_mysql", "student stu_a begins with stu_"),
    "database name with a backtick": ({"lab_reset_databases": {"x`y": ""}}, "lab_reset_databases",
                                      "is not a database name"),
    "golden-home file outside the home": (
        {"lab_reset_skel_files": [{"path": "../../etc/cron.d/x", "content": "* * * * * root id"}]},
        "lab_reset_skel_files", "is not a path inside a home"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_role_input_fails_before_any_change(provisioned, case, tmp_path):
    import json
    extra, variable, words = BAD_INPUT[case]
    (tmp_path / "bad.json").write_text(json.dumps(extra))
    result = run_playbook(INVENTORY, "terminals.yml", limit="it01",
                          extra_args=["-e", f"@{tmp_path / 'bad.json'}"])
    assert not result.succeeded
    assert variable in result.output
    assert " ".join(words.split()) in " ".join(result.output.split())
    assert result.recap["it01"].changed == 0


def test_a_wrong_checksum_fails_and_keeps_the_previous_dotnet(provisioned, connector):
    vroom, _ = provisioned
    result = run_playbook(INVENTORY, "terminals.yml", limit="it01",
                          extra_args=["-e", "lab_dotnet_checksum=sha256:" + "0" * 64,
                                      "--tags", "lab_dotnet"])
    assert not result.succeeded
    assert "previous .NET install is untouched" in " ".join(result.output.split())
    out = ssh(connector, vroom.room.seat("it01"), "dotnet /usr/local/share/labctl/labcheck.dll")
    assert out.ok and "runtime 8.0.4" in out.stdout


def test_the_course_database_is_loaded_on_the_server(provisioned, connector):
    vroom, _ = provisioned
    out = ssh(connector, vroom.room.seat("itsrv"),
              "sudo mysql -N -e 'SELECT COUNT(*) FROM shop.orders; SELECT COUNT(*) FROM shop.sessions; "
              "SELECT COUNT(*) FROM student_shop.orders'")
    orders, sessions, copy = (int(x) for x in out.stdout.split())
    assert orders > 0 and sessions > orders
    assert copy == orders, "the server's per-student copy, configured in the test inventory"


def test_coursedata_reset_restores_a_students_database(provisioned, connector, capsys):
    vroom, _ = provisioned
    seat = vroom.room.seat("it01")
    sums = "sudo python3 -I -m labseat.coursedata checksum {}"
    template = ssh(connector, seat, sums.format("shop_template")).stdout
    assert ssh(connector, seat, sums.format("student_shop")).stdout == template
    assert ssh(connector, seat, "sudo mysql -e 'DROP TABLE student_shop.after_sales'").ok
    assert ssh(connector, seat, sums.format("student_shop")).stdout != template
    assert main(["coursedata", "reset", "-i", str(INVENTORY), "--seats", "it01,it02"]) == 0
    assert "2 of 2 terminals reset" in capsys.readouterr().out
    assert ssh(connector, seat, sums.format("student_shop")).stdout == template
    from labctl.core import audit
    event = audit.events(vroom.room.name, "it01", limit=1)[0]
    assert (event.action, event.outcome) == ("coursedata restore", "ok")
    assert "student_shop equal to shop_template" in event.detail


def test_site_yml_run_as_awx_runs_it_plain_ansible_changes_nothing(provisioned, tmp_path,
                                                                     monkeypatch):
    """The repository as an AWX project: ansible-runner's Python API over a private data
    directory laid out as AWX lays it out (project/ synced from the repository, inventory/,
    env/extravars and env/envvars), with plain Ansible: the repository's own ansible.cfg,
    Ansible's linear strategy, no labctl code in the run. The per-host events read back
    from the run's artifacts on disk show every host of the room and changed=0."""
    import json
    import shutil

    import ansible_runner
    import yaml

    from labctl.core import paths
    from tests.vroom import copy_inventory

    pdd = tmp_path / "awx"
    project = pdd / "project"
    project.mkdir(parents=True)
    for part in ("ansible.cfg", "playbooks", "roles", "plugins", "collections", "labseat"):
        src = paths.PROJECT / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, project / part)
    copy_inventory(pdd / "inventory" / "room")
    (pdd / "env").mkdir()
    (pdd / "env" / "extravars").write_text(yaml.safe_dump({"lab_awx_job": "site"}))
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(  # docs/campus.md: the job's environment
        {"ANSIBLE_VAULT_PASSWORD_FILE": str(paths.vault_password_file(INVENTORY)),
         "ANSIBLE_HOST_KEY_CHECKING": "True"}))
    # the virtual switch's ruleset follows what is plugged into the bridge, and other tests
    # plug PCs in and out (a QEMU PC on a seat's port, a stopped seat): labctl's own run
    # brings it to the room as it is now, so that the claim below is the AWX run's alone
    switch = run_playbook(INVENTORY, "switch.yml", limit="itest-sw")
    assert switch.succeeded, switch.output[-3000:]
    for name in [k for k in os.environ if k.startswith("ANSIBLE_")]:
        monkeypatch.delenv(name)  # nothing of labctl's own environment
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    run = ansible_runner.run(private_data_dir=str(pdd), playbook="playbooks/site.yml",
                             inventory=str(pdd / "inventory" / "room"), quiet=True)
    stdout = run.stdout.read()
    assert run.status == "successful" and run.rc == 0, stdout[-3000:]
    assert "strategy plugins not included in ansible.builtin" not in stdout, \
        "a third-party strategy (Mitogen) was used"
    events = [json.loads(f.read_text()) for f in
              (pdd / "artifacts" / run.config.ident / "job_events").glob("*.json")]
    stats = next(e["event_data"] for e in events if e["event"] == "playbook_on_stats")
    hosts = {e["event_data"]["host"] for e in events if e["event"] == "runner_on_ok"}
    assert hosts == {s.name for s in provisioned[0].room.seats} | {"itest-sw"}
    assert set(stats["processed"]) == hosts
    changed = sorted({(e["event_data"]["host"], e["event_data"].get("task", "?")) for e in events
                      if e["event"] == "runner_on_ok" and (e["event_data"].get("res") or {}).get("changed")})
    assert not stats["changed"] and not stats["failures"] and not stats["dark"], (stats, changed)
