"""The between-classes reset on the test room: everything a student left is gone and
proved gone; a logged-in student stops it without --force; a seat dying in the middle
fails alone and a second reset completes it; reboot-restore discards changes under /usr;
the student's next database copy is made beforehand and swapped in, and one that no longer
equals its template is not trusted."""

import json
import threading


from labctl.cli import main
from labctl.core import audit
from labctl.core.playbook import run_playbook
from labctl.core.reset import reset_seats

from .conftest import INVENTORY, open_student_session, ssh, wait_for

SUMS = "sudo python3 -I -m labseat.coursedata checksum {}"

# What a student leaves behind after a class, made as the student.
PLANT = """set -e
cd ~
mkdir -p Downloads .config/chromium/Default work
echo report > work/作业.sql; echo data > Downloads/orders.csv
echo history > .config/chromium/Default/History
echo 'export PS1=hacked' >> .bashrc
echo marker > /tmp/student-marker; mkdir -p /var/tmp/stu && echo x > /var/tmp/stu/f
echo '* * * * * touch /tmp/cron-ran' | crontab -
echo 'touch /tmp/at-ran' | at now + 2 hours 2>/dev/null
setsid nohup sleep 1000 >/dev/null 2>&1 < /dev/null &
HOME=$HOME timeout 60 firefox-esr --headless --screenshot $HOME/shot.png http://10.78.0.10/test/ >/dev/null 2>&1
# the desktop's own state: settings, the input method's words, recent files, notebooks, launchers
mkdir -p .config/xfce4/xfconf/xfce-perchannel-xml .local/share/fcitx5/pinyin \
         .config/libreoffice/4/user .jupyter
echo '<channel name="xfce4-desktop" version="1.0"/>' > .config/xfce4/xfconf/xfce-perchannel-xml/xfce4-desktop.xml
echo '作业 zuoye' > .local/share/fcitx5/pinyin/user.dict
echo '<item>作业.xlsx</item>' > .config/libreoffice/4/user/registrymodifications.xcu
echo '{}' > .jupyter/jupyter_notebook_config.json; echo '{"cells": []}' > work/分析.ipynb
rm Desktop/lab-calc.desktop; echo mine > Desktop/mine.txt
"""
PLANT_DB = ("sudo mysql -e 'DROP TABLE student_shop.after_sales; CREATE DATABASE student_extra; "
            "CREATE TABLE student_practice.t (x INT); "
            "CREATE VIEW student_shop.my_orders AS SELECT * FROM student_shop.orders; "
            "CREATE PROCEDURE student_shop.my_report() SELECT 1'")
OBJECTS = ("sudo mysql -N -e \"SELECT table_name FROM information_schema.views WHERE table_schema = "
           "'student_shop' UNION SELECT routine_name FROM information_schema.routines "
           "WHERE routine_schema = 'student_shop'\"")


def as_student(connector, seat, script):
    return ssh(connector, seat, f"sudo -u student -i bash -s <<'EOS'\n{script}\nEOS")


def plant(connector, seat):
    out = as_student(connector, seat, PLANT)
    assert out.ok, out.stderr
    assert ssh(connector, seat, PLANT_DB).ok
    state = ssh(connector, seat, "sudo ls -a /home/student/.mozilla/firefox; pgrep -u student sleep; "
                                 "sudo crontab -l -u student; sudo atq").stdout
    assert "sleep" not in state and "touch /tmp/cron-ran" in state and "student" in state


def assert_clean(connector, seat):
    """Independently of lab-reset's own verification."""
    checks = {
        "home": "sudo test ! -e /home/student/work -a ! -e /home/student/Downloads "
                "-a ! -e /home/student/.mozilla -a ! -e /home/student/.config/chromium",
        "bashrc": "sudo cmp /home/student/.bashrc /etc/skel/.bashrc",
        "room file": "sudo test -f /home/student/实训室说明.txt",
        "desktop state": "sudo test ! -e /home/student/.config/xfce4 "
                         "-a ! -e /home/student/.local/share/fcitx5 "
                         "-a ! -e /home/student/.config/libreoffice -a ! -e /home/student/.jupyter",
        "launchers": "sudo test -f /home/student/Desktop/lab-calc.desktop "
                     "-a ! -e /home/student/Desktop/mine.txt",
        "tmp": "test ! -e /tmp/student-marker -a ! -e /var/tmp/stu",
        "processes": "! pgrep -u student",
        "crontab": "! sudo crontab -l -u student",
        "at": "! sudo atq | grep -w student",
        "extra db": "! sudo mysql -e 'USE student_extra'",
        "practice": "test -z \"$(sudo mysql -N -e 'SHOW TABLES FROM student_practice')\"",
        "views and routines": f"test -z \"$({OBJECTS})\"",
    }
    for what, command in checks.items():
        out = ssh(connector, seat, command)
        assert out.ok, f"{seat.name}: {what} not clean: {out.stdout} {out.stderr}"
    template = ssh(connector, seat, SUMS.format("shop_template")).stdout
    assert ssh(connector, seat, SUMS.format("student_shop")).stdout == template


def test_reset_playbook_and_labctl_reset_restore_everything(provisioned, connector, capsys):
    vroom, _ = provisioned
    it01, it02 = vroom.room.seat("it01"), vroom.room.seat("it02")
    for seat in (it01, it02):
        plant(connector, seat)

    result = run_playbook(INVENTORY, "reset.yml", limit="it01")
    assert result.succeeded, result.output[-3000:]
    assert "reset and verified in" in result.output
    assert_clean(connector, it01)

    assert main(["reset", "-i", str(INVENTORY), "--seats", "it02"]) == 0
    out = capsys.readouterr().out
    assert "✔ it02" in out and "1 of 1 seats reset and verified" in out
    assert_clean(connector, it02)
    logged = audit.events("itest", "it02", limit=1)[0]
    assert (logged.action, logged.outcome) == ("reset", "ok")

    # the verification is not blind to what a student makes in a database besides rows
    assert ssh(connector, it02, "sudo mysql -e 'CREATE PROCEDURE student_shop.p() SELECT 1'").ok
    out = ssh(connector, it02, "sudo /usr/local/sbin/lab-reset verify")
    assert out.exit_status == 1 and "extra procedure p" in out.stdout, out.stdout
    assert ssh(connector, it02, "sudo mysql -e 'DROP PROCEDURE student_shop.p'").ok


def lab_reset(connector, seat, action):
    out = ssh(connector, seat, f"sudo /usr/local/sbin/lab-reset {action}")
    return out.exit_status, json.loads(out.stdout.strip().splitlines()[-1])


def databases(connector, seat):
    return set(ssh(connector, seat, "sudo mysql -N -e 'SHOW DATABASES'").stdout.split())


def test_the_next_copy_is_prepared_beforehand_and_a_stale_one_is_not_trusted(provisioned, connector):
    vroom, _ = provisioned
    seat = vroom.room.seat("it01")
    assert lab_reset(connector, seat, "prepare")[0] == 0  # made by the role, or now
    status, out = lab_reset(connector, seat, "prepare")
    assert status == 0 and out["changed"] == [], f"a copy equal to the template was remade: {out}"
    assert "_next_student_shop" in databases(connector, seat)

    plant(connector, seat)
    status, out = lab_reset(connector, seat, "reset --force")
    assert status == 0 and out["prepared"] == ["student_shop"], out
    assert_clean(connector, seat)
    assert "_next_student_shop" not in databases(connector, seat), "the copy was not moved in"
    timer = ssh(connector, seat, "systemctl show -p ActiveState lab-reset-prepare.timer").stdout
    assert "ActiveState=active" in timer, "nothing will make the next copy"
    status, out = lab_reset(connector, seat, "prepare")
    assert status == 0 and out["changed"] == ["_next_student_shop"], out

    # a copy that no longer equals its template (changed after it was made) is not kept
    assert ssh(connector, seat, "sudo mysql -e 'DELETE FROM _next_student_shop.after_sales'").ok
    status, out = lab_reset(connector, seat, "reset --force")
    assert status == 0 and out["copied_again"] == ["student_shop"], out
    assert_clean(connector, seat)


def test_a_logged_in_student_stops_the_reset_without_force(provisioned, connector, capsys):
    vroom, _ = provisioned
    seat = vroom.room.seat("it03")
    client = open_student_session(connector, seat)
    try:
        assert main(["reset", "-i", str(INVENTORY), "--seats", "it03"]) == 1
        out = capsys.readouterr().out
        assert "! it03" in out and "refused" in out and "a student is logged in" in out
        assert ssh(connector, seat, "sudo test -f /home/student/unsaved.txt").ok, "touched"
        result = run_playbook(INVENTORY, "reset.yml", limit="it03")
        assert not result.succeeded and "a student is logged in" in result.output
        assert ssh(connector, seat, "sudo test -f /home/student/unsaved.txt").ok, "touched"

        assert main(["reset", "-i", str(INVENTORY), "--seats", "it03", "--force"]) == 0
        assert "✔ it03" in capsys.readouterr().out
        assert not ssh(connector, seat, "sudo test -e /home/student/unsaved.txt").ok
        assert not ssh(connector, seat, "who | grep -w student").ok, "the session was ended"
    finally:
        client.close()


def test_a_student_logged_in_at_the_login_screen_stops_the_reset_without_force(
        provisioned, connector, capsys):
    """A graphical login through LightDM (here its autologin, as a student's typed password
    would) is a logged-in student: the reset refuses without --force, and --force ends the
    session and resets the seat."""
    vroom, _ = provisioned
    seat = vroom.room.seat("it02")
    autologin = "/etc/lightdm/lightdm.conf.d/99-test-autologin.conf"
    assert ssh(connector, seat, f"printf '[Seat:*]\\nautologin-user=student\\n"
                                f"autologin-user-timeout=0\\n' | sudo tee {autologin} && "
                                "sudo systemctl restart lightdm").ok
    try:
        assert wait_for(lambda: ssh(connector, seat, "who | grep -w student | grep -q ':0'").ok,
                        60), "LightDM did not log the student in"
        assert ssh(connector, seat, "pgrep -u student -x xfce4-session").ok
        assert main(["reset", "-i", str(INVENTORY), "--seats", "it02"]) == 1
        out = capsys.readouterr().out
        assert "! it02" in out and "a student is logged in" in out, out
    finally:
        assert ssh(connector, seat, f"sudo rm -f {autologin} && sudo systemctl restart lightdm").ok
    assert main(["reset", "-i", str(INVENTORY), "--seats", "it02", "--force"]) == 0
    assert "✔ it02" in capsys.readouterr().out
    assert not ssh(connector, seat, "pgrep -u student").ok, "the graphical session was ended"


def test_a_seat_dying_mid_reset_fails_alone_and_a_second_reset_completes_it(provisioned, connector):
    vroom, _ = provisioned
    room = vroom.room
    it01, it02, it03 = (room.seat(n) for n in ("it01", "it02", "it03"))
    for seat in (it01, it02, it03):
        plant(connector, seat)
    # many files make it02's reset take long enough to be caught in the middle
    assert as_student(connector, it02, "python3 -c \"import os; os.makedirs('junk', exist_ok=True); "
                                       "[open(f'junk/{i}', 'w').close() for i in range(40000)]\"").ok
    results = {}
    worker = threading.Thread(target=lambda: results.update(
        {r.seat: r for r in reset_seats(room, [it01, it02, it03])}))
    worker.start()
    try:
        assert wait_for(lambda: ssh(connector, it02, "pgrep -f 'lab-reset reset'").ok, 30, 0.05), \
            "the reset never started on it02"
        vroom.stop_seat(it02)
        worker.join(120)
        assert results["it01"].outcome == "ok" and results["it03"].outcome == "ok", results
        assert results["it02"].outcome == "failed" and results["it02"].reason, results["it02"]
    finally:
        worker.join(120)
        vroom.start_seat(it02)  # the next test finds it02 on, whatever failed above
    assert vroom.wait_ready([it02], 120)[0].state == "running"
    again = reset_seats(room, [it02])
    assert again[0].outcome == "ok", again[0].reason
    assert_clean(connector, it02)
    failed = [e for e in audit.events("itest", "it02", limit=5) if e.outcome == "failed"]
    assert failed, "the failure is in the audit log"


def test_reboot_restore_discards_changes_under_usr(provisioned, connector, capsys):
    vroom, _ = provisioned
    seat = vroom.room.seat("it04")
    assert ssh(connector, seat, "sudo touch /usr/local/share/installed-by-a-student").ok
    plant(connector, seat)
    assert main(["reset", "-i", str(INVENTORY), "--seats", "it04"]) == 0, capsys.readouterr()
    assert "✔ it04" in capsys.readouterr().out
    assert not ssh(connector, seat, "test -e /usr/local/share/installed-by-a-student").ok
    assert_clean(connector, seat)


def test_the_verification_alone_names_every_kind_of_leftover(provisioned, connector, capsys):
    """With the restore step skipped (`lab-reset verify` on a seat a student just used),
    the verification names each kind of leftover it claims to catch: were it blind to one,
    every reset would still pass."""
    vroom, _ = provisioned
    seat = vroom.room.seat("it03")
    try:
        plant(connector, seat)
        out = ssh(connector, seat, "sudo /usr/local/sbin/lab-reset verify")
        assert out.exit_status == 1, out.stdout + out.stderr
        problems = "\n".join(json.loads(out.stdout.strip().splitlines()[-1])["problems"])
        kinds = {"home": "left in /home/student", "changed home file": "changed in /home/student",
                 "/tmp": "left in /tmp", "/var/tmp": "left in /var/tmp",
                 "crontab": "a crontab is left", "at job": "at jobs are left",
                 "process": "process(es) still run",
                 "extra database": "'student_extra'", "changed copy": "student_shop differs",
                 "practice database": "student_practice is not empty"}
        missed = [kind for kind, words in kinds.items() if words not in problems]
        assert not missed, f"verify did not name: {missed}\n{problems}"
    finally:
        capsys.readouterr()
        code = main(["reset", "-i", str(INVENTORY), "--seats", "it03", "--force", "--json"])
    report = json.loads(capsys.readouterr().out)  # docs/cli.md's schema
    assert code == 0 and report["ok"] is True and report["room"] == "itest"
    [one] = report["results"]
    assert {k: one[k] for k in ("seat", "method", "outcome")} == {
        "seat": "it03", "method": "profile", "outcome": "ok"}
    assert set(one) == {"seat", "method", "outcome", "seconds", "reason", "advice", "sessions"}
    assert_clean(connector, seat)
