"""The room's projectors over PJLink, live: emulated projectors (labctl.vlab.pjlink) in
network namespaces of their own on the virtual room's bridge, driven by `labctl projector`
through aiopjlink2. A projector that hangs, one that is not there, one with a lamp error and
a wrong password are each that projector's result; the others are served."""

import json
import os
import signal
import subprocess
import sys

import pytest
import yaml

from labctl.cli import main
from labctl.core import audit

from tests.vroom import copy_inventory

PASSWORD = "pj-secret-4352"
EMULATED = {  # name: (address, emulator options); pj4 has no machine at all
    "pj1": ("10.78.0.61", ["--password", PASSWORD]),
    "pj2": ("10.78.0.62", ["--silent"]),
    "pj3": ("10.78.0.63", ["--password", PASSWORD, "--lamp-error", "--lamp-hours", "4021"]),
}


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def room_with_projectors(provisioned, tmp_path_factory):
    """(inventory with four projectors, a copy whose projector password is wrong)."""
    vroom, _ = provisioned
    started = []
    try:
        for i, (name, (address, options)) in enumerate(EMULATED.items()):
            ns, link = f"lab-itest-{name}", f"lvitestpj{i}"
            started.append((ns, link, None))
            ip("netns", "add", ns)
            ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns)
            ip("link", "set", link, "master", vroom.bridge, "up")
            ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            ip("-n", ns, "link", "set", "eth0", "up")
            proc = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m",
                                     "labctl.vlab.pjlink", "--address", address, *options],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            started[-1] = (ns, link, proc)
        inventories = []
        for label, password in (("room", PASSWORD), ("wrong", "not-the-password")):
            inv = copy_inventory(tmp_path_factory.mktemp(label) / "inventory")
            (inv / "group_vars" / "all" / "projectors.yml").write_text(yaml.safe_dump({
                "lab_projectors": [{"name": n, "address": a} for n, (a, _) in EMULATED.items()]
                + [{"name": "pj4", "address": "10.78.0.64"}],
                "vault_lab_projector_password": password}))   # the vault's, in a real room
            inventories.append(inv)
        subprocess.run([sys.executable, "-c", "import socket,time\nfor _ in range(50):\n"
                        " try:\n  socket.create_connection(('10.78.0.61',4352),1).close();break\n"
                        " except OSError: time.sleep(0.1)"], check=True)
        yield inventories
    finally:
        for ns, link, proc in started:
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(10)
            subprocess.run(["ip", "link", "del", link], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)


def projector(*args, capsys):
    code = main(["projector", *args, "--json", "--timeout", "2"])
    return code, json.loads(capsys.readouterr().out)


def test_status_shows_each_projector_as_it_is(room_with_projectors, capsys):
    inv, _ = room_with_projectors
    code, answer = projector("status", "-i", str(inv), capsys=capsys)
    assert code == 1
    by = {p["name"]: p for p in answer["projectors"]}
    assert (by["pj1"]["outcome"], by["pj1"]["power"], by["pj1"]["lamp_hours"]) == ("ok", "off", [1234])
    assert by["pj1"]["alarms"] == []
    assert by["pj2"]["outcome"] == "failed" and "did not answer" in by["pj2"]["reason"]
    assert by["pj3"]["outcome"] == "ok" and by["pj3"]["alarms"] == ["lamp: error"]
    assert by["pj3"]["lamp_hours"] == [4021]
    assert by["pj4"]["outcome"] == "failed" and "10.78.0.64" in by["pj4"]["reason"]
    assert PASSWORD not in json.dumps(answer)


def test_power_on_and_choose_the_input_then_off(room_with_projectors, capsys):
    inv, _ = room_with_projectors
    try:
        code, answer = projector("input", "hdmi2", "-i", str(inv), "--name", "pj1", capsys=capsys)
        assert code == 1 and "switch it on first" in answer["projectors"][0]["reason"]
        assert projector("on", "-i", str(inv), "--name", "pj1", capsys=capsys)[0] == 0
        assert projector("input", "hdmi2", "-i", str(inv), "--name", "pj1", capsys=capsys)[0] == 0
        assert projector("mute", "-i", str(inv), "--name", "pj1", capsys=capsys)[0] == 0
        code, answer = projector("status", "-i", str(inv), "--name", "pj1", capsys=capsys)
        (pj1,) = answer["projectors"]
        assert (code, pj1["power"], pj1["input"], pj1["muted"]) == (0, "on", "hdmi2", True)
    finally:
        assert projector("off", "-i", str(inv), "--name", "pj1", capsys=capsys)[0] == 0
    events = [(e.action, e.outcome) for e in audit.events("itest", "pj1", limit=5)]
    assert events[:4] == [("projector off", "ok"), ("projector mute", "ok"),
                          ("projector input", "ok"), ("projector on", "ok")]


def test_one_command_to_every_projector_each_with_its_own_result(room_with_projectors, capsys):
    inv, _ = room_with_projectors
    try:
        code, answer = projector("on", "-i", str(inv), capsys=capsys)
        outcomes = {p["name"]: p["outcome"] for p in answer["projectors"]}
        assert code == 1 and outcomes == {"pj1": "ok", "pj2": "failed", "pj3": "ok", "pj4": "failed"}
    finally:
        projector("off", "-i", str(inv), "--name", "pj1,pj3", capsys=capsys)


def test_a_wrong_password_is_named_and_recorded(room_with_projectors, capsys):
    _, wrong = room_with_projectors
    code, answer = projector("on", "-i", str(wrong), "--name", "pj1", capsys=capsys)
    (pj1,) = answer["projectors"]
    assert code == 1 and "refused the password" in pj1["reason"]
    assert "vault_lab_projector_password" in pj1["reason"]
    event = audit.events("itest", "pj1", limit=1)[0]
    assert (event.action, event.outcome) == ("projector on", "failed")


async def test_the_console_shows_the_projectors_at_the_front_and_o_switches_them(
        room_with_projectors):
    """What the teacher sees: each projector's state in the front strip (a hung one and a
    missing one as unreachable, a lamp error flagged), and `o` switching them on and off."""
    from labctl.core.inventory import load_room
    from tests.tui.test_console import SIZE, asked, console, log_text, until
    inv, _ = room_with_projectors
    room = load_room(inv)
    app, pool = console(room)
    front = lambda: str(app.query_one("#front").render())  # noqa: E731
    try:
        async with app.run_test(size=SIZE) as pilot:
            assert await until(pilot, lambda: "pj1: off" in front(), 60), front()
            assert "pj2: unreachable" in front() and "pj4: unreachable" in front()
            assert "lamp: error" in front() and "4021" in front()
            assert await asked(pilot, app, "o") == "Switch the projector on?"
            await pilot.press("y")
            assert await until(pilot, lambda: "pj1: on" in front(), 30), front()
            assert "pj1: ok on" in log_text(app) and "pj2: failed" in log_text(app)
            assert await asked(pilot, app, "o") == "Switch the projector off?"
            await pilot.press("y")
            assert await until(pilot, lambda: "pj1: off" in front(), 30), front()
    finally:
        pool.close()
