"""The students' desktop (lab_desktop): the login manager, the language and the input
method, the default session, and each course tool working on the student's own data."""

import json
from pathlib import Path

import pytest

from labctl.core.ssh import run

GROUP = "terminals"
PROBE = (Path(__file__).parent / "probes" / "desktop.py").read_text()
DEFAULT_LANGUAGE = "zh_CN.UTF-8"


def as_student(connector, seat, hv, action: str) -> dict:
    """Run the desktop probe as the first student, with the student's database password
    on standard input (never on a command line)."""
    account = (hv.get("lab_mysql_students") or [None])[0]
    assert account, "no student MySQL account in lab_mysql_students"
    client = connector.connect(seat.name, str(seat.ip))
    try:
        out = run(client, f"cd /tmp && sudo -u {account['name']} -H sh -c "
                          f"'IFS= read -r P; LAB_DB_PASSWORD=\"$P\" exec python3 - {action}'",
                  input=f"{account['password']}\n{PROBE}", timeout=240)
    finally:
        client.close()
    assert out.ok and out.stdout.strip(), f"the probe failed: {out.stderr.strip()[-400:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.control("LAB-DESK-01")
def test_the_login_manager_shows_its_greeter(host):
    service = host.service("lightdm")
    assert service.is_running and service.is_enabled, "lightdm is not running and enabled"
    greeter = host.run("pgrep -x lightdm-gtk-gre")
    assert greeter.rc == 0, "LightDM runs without its greeter (no X server?): " \
        + host.run("journalctl -u lightdm -n 5 --no-pager -q").stdout[-300:]


@pytest.mark.control("LAB-DESK-02")
def test_the_sessions_speak_the_rooms_language_and_type_pinyin(host, hv):
    language = hv.get("lab_desktop_language", DEFAULT_LANGUAGE)
    assert language.replace("UTF-8", "utf8") in host.run("locale -a").stdout.split(), \
        f"{language} is not generated"
    got = host.run("env -i sh -c '. /etc/X11/Xsession.d/90lab-language; echo $LANG'").stdout
    assert got.strip() == language, f"a session's language is {got.strip()!r}"
    assert "IM_CONFIG_DEFAULT_MODE=fcitx5" in host.file("/etc/default/im-config").content_string
    profile = host.file("/etc/xdg/fcitx5/profile").content_string
    assert "DefaultIM=pinyin" in profile and "Name=pinyin" in profile, profile


@pytest.mark.control("LAB-DESK-03")
def test_the_default_session_starts_with_the_input_method(connector, seat, hv):
    got = as_student(connector, seat, hv, "session")
    assert got.get("window_manager"), f"Xfce's window manager did not come up: {got}"
    engines = hv.get("lab_desktop_im_engines", ["keyboard-us", "pinyin"])
    assert "pinyin" in got.get("engines", []), f"fcitx5 has no pinyin engine: {got}"
    assert [g for g in got.get("group", []) if g in engines] == engines, \
        f"the session's input methods are not the room's: {got}"
    assert got.get("gtk_im_module") == "fcitx", f"GTK applications do not type through fcitx5: {got}"


@pytest.mark.control("LAB-DESK-04")
def test_the_spreadsheet_opens_the_courses_workbook(connector, seat, hv):
    got = as_student(connector, seat, hv, "spreadsheet")
    assert not got.get("error") and got["tool"] == got["sql"] and got["sql"][0] > 0, got


@pytest.mark.control("LAB-DESK-05")
def test_a_notebook_reads_the_students_database(connector, seat, hv):
    got = as_student(connector, seat, hv, "notebook")
    assert not got.get("error") and got["tool"] == got["sql"] and got["sql"][0] > 0, got


@pytest.mark.control("LAB-DESK-06")
def test_a_csharp_program_compiles_and_runs(connector, seat, hv):
    got = as_student(connector, seat, hv, "csharp")
    assert got.get("tool") == "6*7=42" and not got.get("error"), got
