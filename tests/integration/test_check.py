"""`labctl check` on the test room: drift on chosen seats fails exactly those controls there,
a provisioning run repairs every one, and a dead seat is reported without stalling the rest."""

import json
import sqlite3
import xml.etree.ElementTree as ET

from labctl.cli import main
from labctl.core import paths
from labctl.core.playbook import run_playbook

from .conftest import INVENTORY, ssh, wait_for

# (seat, what an operator or a student did, the control that must catch it)
DRIFT = [
    ("it01", "sudo systemctl disable --quiet mariadb", "LAB-MYSQL-01"),
    ("it01", "sudo DEBIAN_FRONTEND=noninteractive apt-get remove -y -q firefox-esr", "LAB-WEB-02"),
    ("it02", "sudo usermod -aG sudo student", "LAB-ACC-02"),
    ("it02", "sudo rm /opt/dotnet/8.0.4/shared/Microsoft.NETCore.App/8.0.4/libcoreclr.so",
     "LAB-DOTNET-01"),
    ("it03", "sudo sed -i 's/^PermitRootLogin .*/PermitRootLogin yes/; "
             "' "
             "/etc/ssh/sshd_config.d/10-lab.conf && sudo systemctl reload ssh", "LAB-SSH-02"),
    ("it03", "sudo chmod 0755 /home/student", "LAB-ACC-03"),
    ("it04", "sudo sed -i 's/^bind-address.*/bind-address = 0.0.0.0/' "
             "/etc/mysql/mariadb.conf.d/90-lab.cnf && sudo systemctl restart mariadb", "LAB-MYSQL-02"),
    ("it04", "sudo rm /etc/apt/apt.conf.d/01lab-proxy", "LAB-APT-01"),
    ("itsrv", "sudo mysql -e 'DROP DATABASE shop'", "LAB-SRV-06"),
    ("itsrv", "sudo ln -sf /usr/share/zoneinfo/UTC /etc/localtime", "LAB-TIME-01"),
    # every other Linux control, each broken on one seat (LAB-ACC-01, the admin's sudo, is
    # broken alone below: provisioning repairs through that sudo; LAB-REACH-01 is the
    # dead-seat test's)
    ("it01", "sudo usermod -p drifted labadmin", "LAB-SSH-01"),
    ("it01", "sudo rm /etc/ansible/facts.d/lab_browsers.fact", "LAB-WEB-04"),
    # the student given another database (their password stays: the desktop's controls use it)
    ("it02", "sudo mysql -e \"GRANT SELECT ON mysql.user TO 'student'@'localhost'\"", "LAB-MYSQL-03"),
    ("it02", "sudo rm /etc/systemd/timesyncd.conf.d/lab.conf", "LAB-TIME-02"),
    ("it03", "sudo DEBIAN_FRONTEND=noninteractive apt-get remove -y -q chromium", "LAB-WEB-01"),
    ("it03", "sudo rm /usr/local/sbin/lab-reset", "LAB-RESET-01"),
    ("it04", "sudo DEBIAN_FRONTEND=noninteractive apt-get remove -y -q webkit2gtk-driver",
     "LAB-WEB-03"),
    ("it04", "sudo mysql -e 'DROP DATABASE shop_template'", "LAB-RESET-02"),
    ("itsrv", "sudo systemctl disable --now --quiet dnsmasq", "LAB-SRV-01"),
    ("itsrv", "sudo sed -i 's/^Port:.*/Port: 3143/' /etc/apt-cacher-ng/acng.conf && "
              "sudo systemctl restart apt-cacher-ng", "LAB-SRV-02"),
    ("itsrv", "sudo sed -i '/,it04$/d' /etc/dnsmasq.d/lab.conf", "LAB-SRV-03"),
    ("itsrv", "sudo sh -c 'rm /srv/lab/mirror/dotnet/*.tar.gz.sha256'", "LAB-SRV-04"),
    ("itsrv", "sudo sed -i 's/^allow .*/deny all/' /etc/chrony/conf.d/lab.conf && "
              "sudo systemctl restart chrony", "LAB-SRV-05"),
    ("itsrv", "sudo sed -i 's/^bind-address.*/bind-address = 0.0.0.0/' "
              "/etc/mysql/mariadb.conf.d/90-lab.cnf && sudo systemctl restart mariadb", "LAB-SRV-07"),
    # the students' desktop (lab_desktop)
    ("it01", "sudo systemctl disable --now --quiet lightdm", "LAB-DESK-01"),
    ("it02", "sudo rm /etc/X11/Xsession.d/90lab-language", "LAB-DESK-02"),
    ("it03", "sudo DEBIAN_FRONTEND=noninteractive apt-get remove -y -q fcitx5-pinyin",
     "LAB-DESK-03"),
    ("it04", "sudo DEBIAN_FRONTEND=noninteractive apt-get remove -y -q libreoffice-calc",
     "LAB-DESK-04"),
    ("it01", "sudo DEBIAN_FRONTEND=noninteractive apt-get remove -y -q python3-pandas",
     "LAB-DESK-05"),
    ("it02", "sudo DEBIAN_FRONTEND=noninteractive apt-get remove -y -q mono-mcs", "LAB-DESK-06"),
    # Veyon (lab_veyon)
    ("it04", "sudo systemctl disable --now --quiet veyon", "LAB-VEYON-01"),
    ("it01", "sudo nft delete table inet lab_veyon", "LAB-VEYON-02"),
    ("it02", "sudo cp /usr/bin/veyon-worker.distrib /usr/bin/veyon-worker", "LAB-VEYON-03"),
]


def test_every_linux_control_but_the_admins_sudo_has_a_drift_that_breaks_it():
    """The list above is the suite's: a control that silently starts passing always would
    go unnoticed without one (docs/compliance.md lists each control's breaking drift)."""
    import re
    from pathlib import Path
    suite = Path(__file__).parents[1] / "compliance"
    linux = set()
    for name in ("test_common.py", "test_terminal.py", "test_desktop.py", "test_veyon.py",
                 "test_server.py"):
        linux |= set(re.findall(r'mark\.control\("(LAB-[A-Z-]+-\d+)"\)', (suite / name).read_text()))
    broken = {control for _, _, control in DRIFT}
    assert len(broken) == len(DRIFT), "each drift breaks a control of its own"
    assert linux - broken == {"LAB-ACC-01"}, sorted(linux - broken)


def documented_controls() -> dict[str, str]:
    """control -> the hosts it applies to, from docs/compliance.md's table (Linux only:
    the Windows rows say so; LAB-REACH-01 is the probe's, reported only when it fails)."""
    import re
    table = (paths.PROJECT / "docs/compliance.md").read_text()
    rows = re.findall(r"^\| (LAB-[A-Z-]+-\d+) \| ([^|]+) \|", table, re.M)
    return {c: g.strip() for c, g in rows if g.strip() in ("all Linux", "terminals", "servers")}


def check(*args, capsys):
    rc = main(["check", "-i", str(INVENTORY), "--json", *args])
    return rc, json.loads(capsys.readouterr().out)


def failures(report):
    return {(r["seat"], r["control"]) for r in report["results"]
            if r["outcome"] not in ("passed", "skipped")}


def test_a_provisioned_room_is_compliant(provisioned, capsys, tmp_path):
    junit = tmp_path / "check.xml"
    rc, report = check("--junit", str(junit), capsys=capsys)
    assert failures(report) == set() and rc == 0, [r for r in report["results"]
                                                   if r["outcome"] != "passed"]
    controls = {(r["seat"], r["control"]) for r in report["results"]}
    # every seat ran exactly the controls the documented table gives its group
    documented = documented_controls()
    for seat in provisioned[0].room.seats:
        group = "terminals" if seat.is_terminal else "servers"
        want = {c for c, groups in documented.items() if groups in (group, "all Linux")}
        assert {c for s, c in controls if s == seat.name} == want, seat.name
    assert not [r for r in report["results"] if r["outcome"] == "skipped"], \
        "a skipped control on a room that has everything it checks"
    assert {s: set(e.values()) != {None} for s, e in report["browsers"].items()} == {
        "it01": True, "it02": True, "it03": True, "it04": True}
    cases = list(ET.parse(junit).getroot().iter("testcase"))
    assert len(cases) == len(report["results"])
    with sqlite3.connect(paths.AUDIT_DB) as db:
        stored = db.execute("SELECT COUNT(*) FROM checks WHERE run_id = ?",
                            (report["run_id"],)).fetchone()[0]
    assert stored == len(report["results"])


def test_drift_fails_exactly_its_control_on_exactly_its_seat_and_provisioning_repairs_it(
        provisioned, connector, capsys):
    vroom, _ = provisioned
    repaired = False
    try:
        for seat, command, _ in DRIFT:
            out = ssh(connector, vroom.room.seat(seat), command)
            assert out.ok, f"{seat}: {command}: {out.stderr}"
        rc, report = check(capsys=capsys)
        assert rc == 1
        assert failures(report) == {(seat, control) for seat, _, control in DRIFT}
        assert report["browsers"]["it01"]["gecko"] is None and report["browsers"]["it02"]["gecko"]

        # check mode on the drifted room is honest: it reports the repairs and makes none
        dry = run_playbook(INVENTORY, "site.yml", check=True, diff=True)
        assert dry.succeeded, dry.output[-3000:]
        drifted = {seat for seat, _, _ in DRIFT}
        assert all(dry.recap[seat].changed > 0 for seat in drifted), \
            {seat: dry.recap[seat].changed for seat in drifted}
        still = {"it01": "test ! -e /etc/ansible/facts.d/lab_browsers.fact",
                 "it02": "test ! -e /etc/systemd/timesyncd.conf.d/lab.conf",
                 "it03": "test ! -e /usr/local/sbin/lab-reset",
                 "it04": "test ! -e /etc/apt/apt.conf.d/01lab-proxy",
                 "itsrv": "! sudo mysql -e 'USE shop'"}
        for seat, test in still.items():
            assert ssh(connector, vroom.room.seat(seat), test).ok, f"check mode changed {seat}"

        result = run_playbook(INVENTORY, "site.yml")
        repaired = result.succeeded
        assert result.succeeded, result.output[-3000:]
        rc, report = check(capsys=capsys)
        assert failures(report) == set() and rc == 0
    finally:
        if not repaired:  # whatever failed above, the next test finds the room as provisioned
            run_playbook(INVENTORY, "site.yml")


def test_the_admins_sudo_gone_fails_its_control(provisioned, capsys):
    """LAB-ACC-01, the one Linux control without a drift above: the admin's sudo rule is
    moved aside through the seat's disk on this machine (the admin could not put it back
    over SSH), the check fails LAB-ACC-01 on that seat (and the controls that read root's
    files through sudo with it), and the rule is put back the same way."""
    vroom, _ = provisioned
    seat = vroom.room.seat("it02")
    rule = vroom.seat_dir(seat) / "root/etc/sudoers.d/labctl-admin"
    aside = rule.with_name(".labctl-admin.test")
    rule.rename(aside)
    try:
        rc, report = check("--limit", "it02", capsys=capsys)
    finally:
        aside.rename(rule)
    assert rc == 1 and ("it02", "LAB-ACC-01") in failures(report), failures(report)
    assert {s for s, _ in failures(report)} == {"it02"}
    rc, report = check("--limit", "it02", capsys=capsys)
    assert rc == 0 and failures(report) == set()


def test_a_dead_seat_is_reported_and_the_others_are_checked(provisioned, capsys):
    assert main(["vlab", "stop", "it03", "-i", str(INVENTORY)]) == 0
    capsys.readouterr()
    try:
        rc, report = check("--limit", "it01,it03", capsys=capsys)
        assert rc == 1
        assert failures(report) == {("it03", "LAB-REACH-01")}
        assert {r["seat"] for r in report["results"] if r["outcome"] == "passed"} == {"it01"}
    finally:
        assert main(["vlab", "start", "it03", "-i", str(INVENTORY)]) == 0
    vroom, _ = provisioned
    assert wait_for(lambda: vroom.status([vroom.room.seat("it03")])[0].state == "running", 60)
