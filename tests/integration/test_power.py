"""`labctl reboot`, `shutdown` and `wake`: core.power's action from the command line, one
result per seat, each in the audit log; reboot and shutdown never act unasked."""

import json

from labctl.cli import main
from labctl.core import audit
from labctl.core.ssh import run

from tests.unit.test_cli_json import documented
from tests.vroom import INVENTORY, answers, ssh, wait_for


def test_an_unconfirmed_shutdown_does_nothing(provisioned, connector, capsys):
    assert main(["shutdown", "-i", str(INVENTORY), "--seats", "it01", "--json"]) == 2
    answer = json.loads(capsys.readouterr().out)
    assert answer["error"] == "NotConfirmed" and "--yes" in answer["message"]
    assert ssh(connector, provisioned[0].room.seat("it01"),
               "test ! -e /run/systemd/shutdown/scheduled").ok


def test_reboot_one_seat_and_wake_a_row(provisioned, connector, capsys):
    room = provisioned[0].room
    it03 = room.seat("it03")
    assert ssh(connector, it03, "sudo touch /run/before-reboot").ok
    assert main(["reboot", "-i", str(INVENTORY), "--seats", "it03", "--yes", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == documented("`labctl reboot|shutdown|wake --json` keys:")
    assert answer["action"] == "reboot" and [(r["seat"], r["outcome"]) for r in answer["results"]] \
        == [("it03", "ok")]
    assert wait_for(lambda: answers(connector, it03, "test ! -e /run/before-reboot"), 120), \
        "it03 did not reboot"
    assert audit.events(room.name, "it03", limit=1)[0].action == "reboot"

    assert main(["wake", "-i", str(INVENTORY), "--row", "2", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert [(r["seat"], r["outcome"]) for r in answer["results"]] == [("it03", "ok"), ("it04", "ok")]
    assert all("magic packet" in r["reason"] for r in answer["results"])


def test_shutdown_warns_and_a_seat_that_is_down_fails_alone(provisioned, connector, capsys):
    """it02 gets the warning and its power-off is scheduled (then cancelled, on a session
    opened before: a scheduled shutdown lets nobody but root log in); it04, stopped, fails
    with why, and does not stop it02's."""
    vroom, _ = provisioned
    room = vroom.room
    it02, it04 = room.seat("it02"), room.seat("it04")
    kept = connector.connect(it02.name, str(it02.ip))
    vroom.stop_seat(it04)
    try:
        code = main(["shutdown", "-i", str(INVENTORY), "--seats", "it02,it04", "--yes", "--json"])
        answer = json.loads(capsys.readouterr().out)
        scheduled = run(kept, "cat /run/systemd/shutdown/scheduled").stdout
    finally:
        run(kept, "sudo shutdown -c")
        kept.close()
        vroom.start_seat(it04)
    assert code == 1
    outcomes = {r["seat"]: r for r in answer["results"]}
    assert outcomes["it02"]["outcome"] == "ok" and "MODE=poweroff" in scheduled
    assert outcomes["it04"]["outcome"] == "failed" and "it04" in outcomes["it04"]["reason"]
    assert audit.events(room.name, "it04", limit=1)[0].outcome == "failed"
    assert wait_for(lambda: answers(connector, it04), 120)
