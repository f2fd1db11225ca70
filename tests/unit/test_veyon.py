"""Veyon from the inventory, without a seat: the room's key name, the directory Veyon Master
and the seats get (one piece of code renders both), the key pair, `labctl validate` on
lab_veyon_masters, the lock screen fix's build for the mirror (its behaviour is proven on a
seat by tests/integration/test_screens.py), and the Windows role, verified statically (no
Windows host here)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from labctl.cli import main
from labctl.core import audit, mirror, veyon
from labctl.core.inventory import load_room

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "inventory" / "demo"
BIN = Path(sys.executable).parent


def test_each_room_has_its_own_key_name_of_letters_only():
    names = {room: veyon.key_name(room) for room in ("b305", "b306", "demo", "itest", "B-305")}
    assert names["b305"] == "labctlbdaf" and names["b306"] == "labctlbdag"
    assert all(n.isalpha() and n.isascii() for n in names.values()), names
    assert len(set(names.values())) == len(names) - 1  # B-305 and b305 are one room name


def test_veyon_master_gets_the_room_as_labctl_lays_it_out(capsys):
    assert main(["screens", "export", "-i", str(DEMO)]) == 0
    config = json.loads(capsys.readouterr().out)
    room = load_room(DEMO)
    objects = config["BuiltinDirectory"]["NetworkObjects"]["JsonStoreArray"]
    location = objects[0]
    assert (location["Name"], location["Type"]) == ("demo", 2)
    computers = [o for o in objects if o.get("ParentUid") == location["Uid"]]
    expected = sorted(room.terminals, key=lambda s: (s.row, s.column))
    assert [(c["Name"], c["HostAddress"], c["MacAddress"]) for c in computers] == \
        [(s.name, str(s.ip), s.mac) for s in expected]
    teacher = next(o for o in objects if o["Name"] == "demo teacher")
    assert [o["HostAddress"] for o in objects if o.get("ParentUid") == teacher["Uid"]] == ["10.77.0.1"]
    assert config["Authentication"]["Method"] == "1"
    assert len({o["Uid"] for o in objects}) == len(objects)


def test_the_seats_get_the_same_directory_as_veyon_master(capsys):
    """The lab_veyon role's filter, rendered by Ansible for a seat of the demo room, gives
    what `labctl screens export` gives (the seats' Service/Network keys aside)."""
    assert main(["screens", "export", "-i", str(DEMO)]) == 0
    exported = json.loads(capsys.readouterr().out)
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
           "ANSIBLE_VAULT_PASSWORD_FILE": str(ROOT / "inventory" / "demo.vault-pass"),
           "PATH": f"{BIN}:{os.environ['PATH']}"}
    out = subprocess.run([BIN / "ansible", "pc01", "-i", str(DEMO), "-m", "ansible.builtin.debug",
                          "-a", "msg={{ lab_room_name | lab_veyon_config(hostvars, groups, "
                                "lab_veyon_masters | default([lab_room_gateway])) }}",
                          "-o"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    rendered = out.stdout.split("=>", 1)[1]
    seat = json.loads(json.loads(rendered)["msg"])
    assert seat == exported


def test_the_seats_public_key_is_the_private_keys_half():
    from cryptography.hazmat.primitives import serialization
    private = veyon.make_key()
    public = serialization.load_pem_public_key(veyon.public_key(private).encode())
    key = serialization.load_pem_private_key(private.encode(), password=None)
    assert public.public_numbers() == key.public_key().public_numbers()
    assert "PRIVATE" not in veyon.public_key(private)


def test_keygen_prints_a_vault_entry_that_parses(capsys):
    assert main(["screens", "keygen"]) == 0
    entry = yaml.safe_load(capsys.readouterr().out)
    assert veyon.public_key(entry["vault_lab_veyon_private_key"]).startswith("-----BEGIN PUBLIC KEY")


def test_validate_refuses_a_master_that_is_not_an_address(tmp_path, capsys):
    inv = tmp_path / "inv"
    shutil.copytree(Path(__file__).parent / "inventories" / "valid", inv)
    target = inv / "group_vars" / "terminals.yml"
    doc = yaml.safe_load(target.read_text()) if target.exists() else {}
    target.write_text(yaml.safe_dump({**(doc or {}), "lab_veyon_masters": ["10.0.0.1; nft flush ruleset"]}))
    assert main(["validate", "-i", str(inv)]) == 2
    err = capsys.readouterr().err
    assert "lab_veyon_masters" in err and "is not an IPv4 address" in err and "terminals.yml" in err


def test_a_room_without_veyon_says_so_per_seat_and_runs_nothing(monkeypatch):
    import dataclasses
    room = load_room(DEMO)
    seats = [dataclasses.replace(s, vars={**s.vars, "lab_veyon_enabled": False})
             for s in room.terminals[:2]] + [room.servers[0]]
    monkeypatch.setattr(veyon, "_WebApi", lambda *a: pytest.fail("started Veyon's WebAPI"))
    monkeypatch.setattr(audit, "record_event", lambda *a, **k: None)
    results = veyon.act(room, seats, "lock")
    assert [r.outcome for r in results] == ["skipped"] * 3
    assert all("no Veyon on this seat" in r.reason for r in results)


@pytest.mark.parametrize("text", ["", " ", "x" * 501])
def test_a_message_must_have_a_text_of_sensible_length(text):
    from labctl.core.errors import LabError
    with pytest.raises(LabError):
        veyon.act(load_room(DEMO), [], "message", text)


def test_the_windows_role_opens_veyons_port_to_the_masters_only():
    """Statically: lab_windows_veyon installs the pinned Veyon from the lab feed, writes
    the room's public key and configuration (Veyon's own open-to-all firewall exception
    off), and opens Veyon's ports to lab_windows_veyon_masters alone."""
    tasks = yaml.safe_load((ROOT / "roles/lab_windows_veyon/tasks/main.yml").read_text())
    block = next(t for t in tasks if "block" in t)["block"]
    by_module = {next(k for k in t if "." in k): t for t in block}
    rule = by_module["community.windows.win_firewall_rule"]["community.windows.win_firewall_rule"]
    assert rule["remoteip"] == "{{ lab_windows_veyon_masters | join(',') }}"
    assert rule["action"] == "allow" and rule["localport"] == "11100-11400"
    copies = [t["ansible.windows.win_copy"]["content"] for t in block if "ansible.windows.win_copy" in t]
    assert any("vault_lab_veyon_private_key | lab_veyon_public_key" in c for c in copies), copies
    assert all("vault_lab_veyon_private_key" not in c or "lab_veyon_public_key" in c for c in copies)
    assert veyon.config("r", [], ["10.0.0.1"])["Network"]["FirewallExceptionEnabled"] is False
    play = (ROOT / "playbooks/windows.yml").read_text()
    assert play.index("role: lab_windows_software") < play.index("role: lab_windows_veyon")


def test_the_lock_screen_fix_is_built_once_and_again_when_its_source_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(mirror, "MIRROR", tmp_path)
    out = mirror.veyon(progress=lambda *_: None)
    library = out / mirror.VEYON_LIBRARY
    symbols = subprocess.run(["nm", "-D", "--defined-only", "-C", str(library)], check=True,
                             capture_output=True, text=True).stdout
    assert "QWidget::setWindowFlag(Qt::WindowType, bool)" in symbols
    assert (out / f"{mirror.VEYON_LIBRARY}.sha256").read_text().strip() == mirror.sha256(library)
    built = library.stat().st_mtime_ns
    mirror.veyon(progress=lambda *_: None)
    assert library.stat().st_mtime_ns == built, "built again with the same source"
    (out / f"{mirror.VEYON_LIBRARY}.source-sha256").write_text("0" * 64 + "\n")  # another source
    mirror.veyon(progress=lambda *_: None)
    assert library.stat().st_mtime_ns != built, "not built again for a changed source"


def test_the_lock_screen_is_told_from_a_desktop():
    """Veyon's own pictures of it03 (docs/pictures): its lock screen, and the student's
    desktop with the teacher's message, whose plain wallpaper covers three quarters of it."""
    pictures = ROOT / "docs" / "pictures"
    assert veyon.looks_locked((pictures / "veyon-lock.png").read_bytes())
    assert not veyon.looks_locked((pictures / "veyon-message.png").read_bytes())
    lock, desktop = ((pictures / f"veyon-{n}.png").read_bytes() for n in ("lock", "message"))
    assert veyon.changed(lock, desktop) >= veyon.SHOWN["lock"] and veyon.changed(lock, lock) == 0
