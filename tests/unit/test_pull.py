"""Pull mode without a seat: the payload's strict form, the archives' members, what the admin
host renders for a seat (its own values, no vault variable, Veyon's public key only), the
deterministic archives, and `labctl validate` on lab_provision_mode. The runs themselves
are proven on the virtual room (tests/integration/test_pull.py)."""

import io
import json
import tarfile
from pathlib import Path

import pytest

from labctl.cli import main
from labctl.core import mirror, pull
from labctl.core.errors import InventoryError
from labctl.core.inventory import load_room
from labseat import pull as seat

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "inventory" / "demo"
GOOD = {"host": "pc01", "mirror": "http://10.77.0.10/mirror/pull",
        "artifacts": {"project": "a" * 64, "coursedata": None}, "inventory": {"all": {}}}


@pytest.mark.parametrize("change, says", [
    ({"host": "pc01 -e @/home/student/x"}, "is not a host name"),
    ({"host": "../etc"}, "is not a host name"),
    ({"mirror": "file:///home/student/project"}, "is not an http(s) URL"),
    ({"mirror": "http://10.77.0.10/mirror;touch /x"}, "is not an http(s) URL"),
    ({"artifacts": {"project": "../../x"}}, "sha256s"),
    ({"artifacts": {"project": "a" * 64, "evil": "b" * 64}}, "sha256s"),
    ({"artifacts": {}}, "sha256s"),
    ({"inventory": "all"}, "no inventory"),
    ({"check": "yes"}, "true or false"),
])
def test_a_payload_out_of_its_form_is_refused_whole(change, says):
    with pytest.raises(seat.PullError, match=says.replace("(", r"\(").replace(")", r"\)")):
        seat.check_payload({**GOOD, **change})
    assert seat.check_payload(dict(GOOD)) == GOOD


def _archive(tmp_path, members) -> Path:
    path = tmp_path / "a.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


@pytest.mark.parametrize("name, kind", [
    ("../outside", tarfile.REGTYPE), ("/etc/cron.d/x", tarfile.REGTYPE),
    ("roles/link", tarfile.SYMTYPE), ("roles/hard", tarfile.LNKTYPE), ("dev", tarfile.CHRTYPE)])
def test_an_archive_with_a_member_outside_or_not_a_plain_file_is_refused(tmp_path, name, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = "/etc/shadow" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
    ok = tarfile.TarInfo("roles/fine.yml")
    ok.size = 3
    archive = _archive(tmp_path, [(ok, b"---"), (info, None)])
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(seat.PullError, match="refusing the member"):
        seat.unpack(archive, dest)
    assert list(dest.iterdir()) == []  # nothing unpacked, not even the good member


def test_a_plain_archive_unpacks_root_only(tmp_path):
    d = tarfile.TarInfo("roles")
    d.type = tarfile.DIRTYPE
    f = tarfile.TarInfo("roles/x.sh")
    f.size, f.mode = 2, 0o755
    dest = tmp_path / "dest"
    dest.mkdir()
    seat.unpack(_archive(tmp_path, [(d, None), (f, b"hi")]), dest)
    assert (dest / "roles" / "x.sh").read_bytes() == b"hi"
    assert (dest / "roles" / "x.sh").stat().st_mode & 0o777 == 0o700


def test_archives_are_the_same_bytes_for_the_same_files(tmp_path):
    (tmp_path / "f").write_text("x")
    one = mirror.pack(tmp_path / "one.tar.gz", [("f", tmp_path / "f")])
    two = mirror.pack(tmp_path / "two.tar.gz", [("f", tmp_path / "f")])
    assert one == two == mirror.sha256(tmp_path / "two.tar.gz")


def _room(tmp_path, key: bool):
    """The demo room, its state directory here (with its admin key when key)."""
    import shutil
    import subprocess
    inv = tmp_path / "inv"
    shutil.copytree(DEMO, inv)
    shutil.copy(ROOT / "inventory" / "demo.vault-pass", tmp_path / "inv.vault-pass")
    room_vars = inv / "group_vars" / "all" / "room.yml"
    room_vars.write_text(room_vars.read_text() + f"lab_state_dir: {tmp_path / 'state'}\n")
    if key:
        (tmp_path / "state" / "ssh").mkdir(parents=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        str(tmp_path / "state" / "ssh" / "id_ed25519")], check=True)
    return load_room(inv)


def test_a_seat_gets_its_own_values_and_only_the_public_half_of_veyons_key(tmp_path):
    room = _room(tmp_path, key=True)
    values = pull.seat_vars(room, [room.seat("pc01")])["pc01"]
    text = json.dumps(values)
    assert not [k for k in values if not k.startswith("lab_")]
    assert "vault_" not in text and "PRIVATE KEY" not in text
    assert values["lab_veyon_public_key"].startswith("-----BEGIN PUBLIC KEY")
    # the lookups, and the role defaults they name, are done on the admin host
    assert values["lab_dotnet_checksum"].startswith("sha256:") and "{{" not in text
    assert values["lab_common_admin_keys"][0].startswith("ssh-ed25519 ")
    assert values["lab_seat"] == {"row": 1, "column": 1}


def test_a_value_the_admin_host_cannot_render_is_one_clear_error(tmp_path):
    room = _room(tmp_path, key=False)  # the room's admin key is not made yet
    with pytest.raises(InventoryError) as err:
        pull.seat_vars(room, [room.seat("pc01")])
    assert "pc01" in str(err.value) and "lab_common_admin_keys" in str(err.value)
    assert "id_ed25519.pub" in str(err.value)


def test_the_project_archive_holds_what_a_terminal_run_needs(tmp_path, monkeypatch):
    monkeypatch.setattr(pull, "OUT", tmp_path)  # not the mirror a running room is served from
    sha = pull.project()
    with tarfile.open(pull.OUT / f"project-{sha}.tar.gz") as tar:
        names = set(tar.getnames())
    assert {"pull.cfg", "playbooks/terminals.yml", "plugins/callback/lab_pull.py",
            "labseat/pull.py", "lib/labctl/core/veyon.py",
            "collections/ansible_collections/community/mysql/MANIFEST.json"} <= names
    assert not [n for n in names if n.startswith(("inventory", "roles/lab_server", "roles/lab_windows"))]
    assert {f"roles/{r}/tasks/main.yml" for r in pull.terminal_roles()} <= names
    assert pull.project() == sha  # not packed again when nothing changed


def test_validate_refuses_an_unknown_provisioning_mode(tmp_path, capsys):
    room = _room(tmp_path, key=True)
    room_vars = room.inventory / "group_vars" / "all" / "room.yml"
    room_vars.write_text(room_vars.read_text() + "lab_provision_mode: ansible-pull\n")
    assert main(["validate", "-i", str(room.inventory)]) != 0
    err = capsys.readouterr()
    assert "lab_provision_mode" in err.out + err.err and "push" in err.out + err.err


def test_an_archive_the_admin_host_lacks_is_named_with_the_fix(tmp_path):
    room = _room(tmp_path, key=True)
    with pytest.raises(pull.PullError, match="labctl mirror"):
        pull.publish(room, {"http://10.77.0.10/mirror/pull"}, {"f" * 64})
