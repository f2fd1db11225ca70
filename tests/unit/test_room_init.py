"""`labctl room init`: a room's inventory and secrets from the seat list a technician has,
valid as written; a bad seat list is refused one line per bad row, with nothing written."""

import os
import stat

import openpyxl
import pytest
import yaml

from labctl.cli import main
from labctl.core import paths
from labctl.core.inventory import load_room


@pytest.fixture(autouse=True)
def _rooms_state(tmp_path, monkeypatch):
    """Each room's state directory (by default under /var/lib/labctl/rooms) in the test's own."""
    monkeypatch.setattr(paths, "ROOMS", tmp_path / "rooms")


def seat_list(path, rows, header=("name", "mac", "row", "column", "os", "ip")):
    path.write_text("\n".join(",".join(map(str, r)) for r in [header, *rows]) + "\n")
    return path


ROWS = [("srv01", "00:1e:67:30:00:10", "", "", "server", ""),
        ("r1s1", "00:1e:67:30:01:01", 1, 1, "linux", ""),
        ("r1s2", "00-1E-67-30-01-02", 1, 2, "linux", "10.30.0.150"),
        ("r2s1", "00:1e:67:30:02:01", 2, 1, "windows", ""),
        ("r2s2", "00:1e:67:30:02:02", 2, 2, "", "")]


def test_a_csv_seat_list_becomes_a_valid_room_with_its_own_secrets(tmp_path, capsys):
    out = tmp_path / "c101"
    code = main(["room", "init", "c101", "--seats", str(seat_list(tmp_path / "seats.csv", ROWS)),
                 "--subnet", "10.30.0.0/24", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert main(["validate", "-i", str(out)]) == 0
    room = load_room(out)
    assert room.name == "c101" and not room.virtual
    assert sorted((s.name, str(s.ip), s.row, s.column, s.os_family) for s in room.terminals) == [
        ("r1s1", "10.30.0.101", 1, 1, "debian"), ("r1s2", "10.30.0.150", 1, 2, "debian"),
        ("r2s1", "10.30.0.102", 2, 1, "windows"), ("r2s2", "10.30.0.103", 2, 2, "debian")]
    assert [str(s.ip) for s in room.servers] == ["10.30.0.10"]
    # nothing of the virtual room's wiring: the server's DHCP interface is found by its address
    servers = (out / "group_vars" / "servers.yml").read_text()
    assert "host0" not in servers and "lab_server_dhcp_interface" not in servers
    password = tmp_path / "c101.vault-pass"
    assert stat.S_IMODE(password.stat().st_mode) == 0o600
    vault = out / "group_vars" / "all" / "vault.yml"
    assert vault.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    assert stat.S_IMODE(vault.stat().st_mode) == 0o600
    from ansible.parsing.vault import VaultLib, VaultSecret
    secret = VaultSecret(password.read_text().strip().encode())
    values = yaml.safe_load(VaultLib([("default", secret)]).decrypt(vault.read_bytes()))
    assert set(values) == {"vault_lab_student_password", "vault_lab_student_db_password",
                           "vault_lab_seat_db_secret", "vault_lab_veyon_private_key"}
    assert "BEGIN PRIVATE KEY" in values["vault_lab_veyon_private_key"]  # the room's own Veyon key
    assert all(len(v) >= 16 for v in values.values())
    printed = capsys.readouterr().out
    assert not any(v in printed for v in values.values()), "a secret reached the output"
    assert password.read_text().strip() not in printed
    # the room's own state: an admin key of its own and an empty known_hosts, root's alone
    state = room.state
    assert room.vars["lab_state_dir"] == str(tmp_path / "rooms" / "c101") == str(state.dir)
    assert stat.S_IMODE(state.dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(state.admin_key.stat().st_mode) == 0o600
    assert state.admin_key.with_suffix(".pub").read_text().startswith("ssh-ed25519 ")
    assert state.known_hosts.read_text() == ""
    assert stat.S_IMODE(state.known_hosts.stat().st_mode) == 0o600
    assert str(state.admin_key) in printed and "enroll" in printed


def test_two_rooms_have_keys_of_their_own_and_a_name_in_use_is_refused(tmp_path, capsys):
    seats = seat_list(tmp_path / "s.csv", ROWS)
    for name in ("c201", "c202"):
        assert main(["room", "init", name, "--seats", str(seats), "--subnet", "10.30.0.0/24",
                     "--out", str(tmp_path / name)]) == 0
    a, b = (load_room(tmp_path / n).state for n in ("c201", "c202"))
    assert a.dir != b.dir and a.admin_key.read_text() != b.admin_key.read_text()
    capsys.readouterr()
    # the same room name again, elsewhere: its state (key, known_hosts) exists, nothing written
    key = a.admin_key.read_text()
    assert main(["room", "init", "c201", "--seats", str(seats), "--subnet", "10.30.0.0/24",
                 "--out", str(tmp_path / "again")]) == 2
    err = capsys.readouterr().err
    assert str(a.admin_key) in err and "already exists" in err
    assert not (tmp_path / "again").exists() and not (tmp_path / "again.vault-pass").exists()
    assert a.admin_key.read_text() == key
    # a state directory that others share is refused before anything is written
    assert main(["room", "init", "c203", "--seats", str(seats), "--subnet", "10.30.0.0/24",
                 "--out", str(tmp_path / "c203"), "--state-dir", str(paths.PROJECT / "c203")]) == 2
    assert "--state-dir" in capsys.readouterr().err and not (tmp_path / "c203").exists()


def test_an_xlsx_with_chinese_headers_works_too(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["主机名", "MAC地址", "排", "列", "操作系统"])
    for name, mac, row, column, kind, _ip in ROWS:
        book.active.append([name, mac, row or None, column or None,
                            {"server": "服务器"}.get(kind, kind)])
    book.save(tmp_path / "座位表.xlsx")
    out = tmp_path / "c102"
    assert main(["room", "init", "c102", "--seats", str(tmp_path / "座位表.xlsx"),
                 "--subnet", "10.31.0.0/24", "--out", str(out)]) == 0
    assert main(["validate", "-i", str(out)]) == 0
    assert len(load_room(out).terminals) == 4


def test_a_bad_seat_list_is_refused_row_by_row_and_nothing_is_written(tmp_path, capsys):
    rows = ROWS + [("r3s1", "00:1e:67:30:01:01", 3, 1, "linux", ""),      # a duplicate MAC
                   ("r3s2", "00:1e:67:30:03:0", 3, 2, "linux", ""),       # a bad MAC
                   ("r3s3", "00:1e:67:30:03:03", 2, 2, "linux", ""),      # r2s2's place
                   ("r3_4", "00:1e:67:30:03:04", 3, 4, "macos", "10.99.0.5")]
    out = tmp_path / "c103"
    code = main(["room", "init", "c103", "--seats", str(seat_list(tmp_path / "s.csv", rows)),
                 "--subnet", "10.30.0.0/24", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if "s.csv:" in line]
    assert any(":7: mac: 00:1e:67:30:01:01 is already seat r1s1's (line 3)" in l for l in lines), err
    assert any(":8: mac: '00:1e:67:30:03:0' is not a MAC address" in l for l in lines), err
    assert any(":9: row: row 2, column 2 is already seat r2s2's (line 6)" in l for l in lines), err
    assert any(":10: name: 'r3_4' is not a host name" in l for l in lines), err
    assert any(":10: os: 'macos'" in l for l in lines), err
    assert any(":10: ip: 10.99.0.5 is outside the room's subnet" in l for l in lines), err
    assert all("fix:" in line for line in lines)
    assert not out.exists() and not (tmp_path / "c103.vault-pass").exists()
    assert sorted(os.listdir(tmp_path)) == ["s.csv"], "nothing but the seat list"


def test_an_existing_room_is_never_overwritten(tmp_path, capsys):
    out = tmp_path / "c104"
    out.mkdir()
    (out / "hosts.yml").write_text("keep me\n")
    assert main(["room", "init", "c104", "--seats", str(seat_list(tmp_path / "s.csv", ROWS)),
                 "--subnet", "10.30.0.0/24", "--out", str(out)]) == 2
    assert (out / "hosts.yml").read_text() == "keep me\n"
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize("header", [("host", "mac"), ("name", "row")])
def test_a_seat_list_without_names_or_macs_says_which_column(tmp_path, capsys, header):
    path = tmp_path / "s.csv"
    path.write_text(",".join(header) + "\nr1s1,x\n")
    assert main(["room", "init", "c105", "--seats", str(path), "--subnet", "10.30.0.0/24",
                 "--out", str(tmp_path / "c105")]) == 2
    err = capsys.readouterr().err
    assert ("no mac column" in err) == ("mac" not in header), err
