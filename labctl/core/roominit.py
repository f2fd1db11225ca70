"""A new room's inventory from the seat list a technician already has (CSV or XLSX).

    labctl room init b305 --seats seats.xlsx --subnet 10.20.0.0/24

Columns (a header row; English or Chinese names, any order; case and spaces ignored):

| column | also | required | what |
|---|---|---|---|
| name | 名称, 主机名, 计算机名 | yes | the seat's host name (letters, digits, '-') |
| mac | mac地址, 物理地址 | yes | its network card's MAC (aa:bb:cc:dd:ee:ff or with '-') |
| row | 行, 排 | terminals | the seat's row, counted from the front (1, 2, ...) |
| column | 列, 座位号 | terminals | its place in the row, from the left (1, 2, ...) |
| os | 系统, 操作系统 | no | linux (default) or windows; 服务器/server makes the host the room's server |
| ip | ip地址 | no | its address in the room's subnet (default: the server .10, terminals from .101) |

Every bad row is reported (file, row number, column, what, fix) and nothing is written.
What is written: the inventory directory (hosts.yml, group_vars with the room, a switch
skeleton, the shared role settings), the room's vault (group_vars/all/vault.yml,
encrypted) with newly generated passwords, and the vault's password file beside the
inventory (`<inventory>.vault-pass`, 0600, where labctl finds it), readable by root
only; and the room's state directory (`lab_state_dir`, root's alone; --state-dir, default
/var/lib/labctl/rooms/NAME) with the room's own admin SSH key and an empty known_hosts,
which `labctl enroll` fills. The result passes `labctl validate` as it is.
"""

from __future__ import annotations

import csv
import ipaddress
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from labctl.core import paths
from labctl.core.errors import InventoryError, Problem
from labctl.core.inventory import HOSTNAME_RE, MAC_RE, ROOM_NAME_RE, state_dir_problem

HEADERS = {
    "name": {"name", "host", "hostname", "名称", "主机名", "计算机名"},
    "mac": {"mac", "macaddress", "mac地址", "物理地址"},
    "row": {"row", "行", "排"},
    "column": {"column", "col", "seat", "列", "座位号"},
    "os": {"os", "osfamily", "system", "系统", "操作系统"},
    "ip": {"ip", "ipaddress", "address", "ip地址"},
}
OS_WORDS = {"linux": "linux", "debian": "linux", "": "linux", "windows": "windows",
            "win": "windows", "server": "server", "服务器": "server"}
NETWORK_OS = {"cisco_ios": "cisco.ios.ios", "huawei_vrp": "community.network.ce",
              "h3c_comware": "community.network.comware"}
SHARED = Path("inventory") / "demo" / "group_vars"  # role settings every room starts from
REAL = Path("inventory") / "example-school" / "group_vars"  # what a real room changes


@dataclass
class SeatRow:
    line: int
    name: str
    mac: str
    row: int | None
    column: int | None
    kind: str          # linux, windows or server
    ip: str | None


def _header(cell) -> str | None:
    word = str(cell or "").strip().lower().replace(" ", "").replace("_", "").replace("-", "")
    return next((key for key, names in HEADERS.items() if word in names), None)


def read_rows(path: Path) -> list[tuple[int, dict]]:
    """(line number, {column: text}) for each non-empty row of a CSV or XLSX seat list."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl
        sheet = openpyxl.load_workbook(path, read_only=True, data_only=True).active
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
    else:
        with open(path, newline="", encoding="utf-8-sig") as f:
            table = list(csv.reader(f))
    if not table:
        raise InventoryError([Problem(str(path), None, None, "is empty",
                                      "give a header row (name, mac, row, column, os, ip) "
                                      "and one row per seat")])
    columns = [_header(c) for c in table[0]]
    missing = [c for c in ("name", "mac") if c not in columns]
    if missing:
        raise InventoryError([Problem(f"{path}:1", None, None,
                                      f"no {' or '.join(missing)} column in the header",
                                      "name the columns name, mac, row, column, os, ip "
                                      "(or 名称, MAC地址, 行, 列, 系统, IP地址)")])
    out = []
    for number, cells in enumerate(table[1:], start=2):
        values = {col: ("" if cell is None else str(cell).strip())
                  for col, cell in zip(columns, cells) if col}
        if any(values.values()):
            out.append((number, values))
    return out


def parse_seats(path: Path, subnet: ipaddress.IPv4Network) -> list[SeatRow]:
    """The seat list, checked row by row; InventoryError with every problem found."""
    problems: list[Problem] = []
    seats: list[SeatRow] = []

    def bad(line, column, message, fix):
        problems.append(Problem(f"{path}:{line}", None, column, message, fix))

    for line, v in read_rows(path):
        name, mac, kind = v.get("name", ""), v.get("mac", "").lower(), v.get("os", "").lower()
        if not HOSTNAME_RE.match(name):
            bad(line, "name", f"{name!r} is not a host name",
                "use letters, digits and '-' (e.g. r1s01)")
        if not MAC_RE.match(mac):
            bad(line, "mac", f"{mac!r} is not a MAC address", "write it as aa:bb:cc:dd:ee:ff")
        if kind not in OS_WORDS:
            bad(line, "os", f"{kind!r} is not an operating system labctl knows",
                "write linux, windows or server")
        kind = OS_WORDS.get(kind, "linux")
        place = {}
        for col in ("row", "column"):
            text = v.get(col, "")
            if kind == "server" and not text:
                place[col] = None
            elif text.isdigit() and 0 < int(text) <= 30:
                place[col] = int(text)
            else:
                place[col] = None
                bad(line, col, f"{text!r} is not a {col} of the room",
                    f"give the seat's {col} as a number from 1 (the front, the left)")
        ip = v.get("ip") or None
        if ip is not None:
            try:
                if ipaddress.ip_address(ip) not in subnet:
                    bad(line, "ip", f"{ip} is outside the room's subnet {subnet}",
                        f"give an address in {subnet}, or leave the cell empty")
            except ValueError:
                bad(line, "ip", f"{ip!r} is not an IPv4 address", "write it as 10.20.0.101")
        seats.append(SeatRow(line, name, mac.replace("-", ":"), place["row"], place["column"],
                             kind, ip))
    for key, what in ((lambda s: s.name.lower(), "name"), (lambda s: s.mac, "mac"),
                      (lambda s: s.ip, "ip"),
                      (lambda s: (s.row, s.column) if s.kind != "server" else None, "row")):
        first: dict = {}
        for s in seats:
            k = key(s)
            if k is None or k == (None, None) or not k:
                continue
            if k in first:
                shown = f"row {k[0]}, column {k[1]}" if what == "row" else str(k)
                bad(s.line, what, f"{shown} is already seat {first[k].name}'s "
                                  f"(line {first[k].line})",
                    "give every seat its own " + ("place" if what == "row" else what))
            else:
                first[k] = s
    if not any(s.kind != "server" for s in seats):
        problems.append(Problem(str(path), None, None, "lists no terminal",
                                "add a row per student terminal"))
    if sum(s.kind == "server" for s in seats) != 1:
        problems.append(Problem(str(path), None, "os", "lists no server" if not any(
            s.kind == "server" for s in seats) else "lists more than one server",
            "mark the room's lab server (one row) with os 'server' (服务器)"))
    if problems:
        raise InventoryError(sorted(problems, key=lambda p: int(p.file.rsplit(":", 1)[1])
                                    if p.file.rsplit(":", 1)[-1].isdigit() else 0))
    return seats


def _addresses(seats: list[SeatRow], subnet: ipaddress.IPv4Network) -> dict[str, str]:
    """Each seat's address: its own, else the server from .10, terminals from .101."""
    taken = {s.ip for s in seats if s.ip}
    hosts = list(subnet.hosts())
    out = {}
    for kind, start in (("server", 9), ("terminal", 100)):
        pool = (str(a) for a in hosts[start:] if str(a) not in taken)
        for s in seats:
            if (s.kind == "server") == (kind == "server"):
                out[s.name] = s.ip or next(pool)
    return out


def init_room(name: str, seat_list: Path, subnet: str, out: Path, switch_family: str = "cisco_ios",
              timezone: str = "Asia/Shanghai", state_dir: Path | None = None) -> Path:
    """Write the room's inventory at `out`, its vault password beside it, and its own admin
    key and (empty) known_hosts in its state directory (default /var/lib/labctl/rooms/NAME)."""
    if not ROOM_NAME_RE.match(name):
        raise InventoryError([Problem(name, None, "NAME", f"{name!r} is not a room name",
                                      "use up to 11 lower-case letters, digits or '-', "
                                      "starting with a letter (e.g. b305)")])
    try:
        net = ipaddress.ip_network(subnet)
    except ValueError:
        raise InventoryError([Problem(subnet, None, "--subnet", f"{subnet!r} is not a subnet",
                                      "write it as 10.20.0.0/24")]) from None
    password_file = out.with_name(out.name + ".vault-pass")
    state = paths.RoomState.of(name, str(state_dir) if state_dir else None)
    problem = state_dir_problem(str(state.dir), out)
    if problem:
        raise InventoryError([Problem(str(state.dir), None, "--state-dir", problem,
                                      "choose an absolute directory outside the project and "
                                      "the inventory, e.g. /var/lib/labctl/rooms/" + name)])
    for existing in (out, password_file, state.admin_key, state.known_hosts):
        if existing.exists():
            raise InventoryError([Problem(str(existing), None, None, "already exists",
                                          "choose another --out, or move it away first: "
                                          "nothing was written")])
    seats = parse_seats(seat_list, net)
    address = _addresses(seats, net)
    terminals = [s for s in seats if s.kind != "server"]
    servers = [s for s in seats if s.kind == "server"]
    # the switch skeleton's ports: the terminals first, then the teacher's desk, the
    # projector and the technician, the server (a trunk with the students' VLAN), the uplink
    n = len(terminals)
    port = iter(range(1, n + 1))
    switch = yaml.safe_load((paths.PROJECT / REAL / "all" / "switch.yml").read_text())
    sw = switch["lab_switch"]
    sw.update(name=f"{name}-sw1", family=switch_family, ports=max(52, n + 5))
    sw["uplink"]["port"] = n + 5
    for i, extra in enumerate(sw["extra_ports"]):
        extra["port"] = n + 1 + i

    def host(s: SeatRow) -> dict:
        h = {"ansible_host": address[s.name], "lab_mac": s.mac}
        if s.kind != "server":
            h["lab_seat"] = {"row": s.row, "column": s.column}
            h["lab_switch_port"] = next(port)
        else:
            h["lab_switch_port"] = n + 4
            h["lab_switch_trunk"] = [20]  # the server's port also carries the students' VLAN
        return h

    linux = {s.name: host(s) for s in terminals if s.kind == "linux"}
    windows = {s.name: host(s) for s in terminals if s.kind == "windows"}
    children = {}
    if linux:
        children["linux_terminals"] = {"hosts": linux}
    if windows:
        children["windows_terminals"] = {"hosts": windows}
    hosts = {"all": {"children": {
        "switches": {"hosts": {f"{name}-sw1": {
            "ansible_host": sw["management"]["address"].split("/")[0],
            "ansible_connection": "ansible.netcommon.network_cli",
            "ansible_network_os": NETWORK_OS.get(switch_family, switch_family)}}},
        "servers": {"hosts": {s.name: host(s) for s in servers}},
        "terminals": {"children": children}}}}
    gateway = str(next(net.hosts()))
    room = {"lab_room_name": name, "lab_room_subnet": str(net), "lab_room_gateway": gateway,
            "lab_room_rows": max(s.row for s in terminals),
            "lab_room_columns": max(s.column for s in terminals), "lab_room_virtual": False,
            "lab_state_dir": str(state.dir),
            "lab_os_family": "debian", "lab_vlan": 20, "ansible_user": "labadmin",
            "lab_common_timezone": timezone, "lab_coursedata_scale": "standard",
            "lab_server_pxe": True,  # the network install; a seat installs once armed (lab_install)
            "lab_timetable": {"days": ["mon", "tue", "wed", "thu", "fri"],
                              "periods": ["08:00-08:45", "08:55-09:40", "10:00-10:45",
                                          "10:55-11:40", "14:00-14:45", "14:55-15:40",
                                          "16:00-16:45", "16:55-17:40"]}}
    staging = out.with_name(f".{out.name}.init")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        (staging / "group_vars" / "all").mkdir(parents=True)
        header = (f"# Room {name}: made by `labctl room init` from {seat_list.name}. Edit freely;\n"
                  "# `labctl validate` checks every change (docs/inventory.md).\n")
        (staging / "hosts.yml").write_text(header + yaml.safe_dump(hosts, sort_keys=False,
                                                                   allow_unicode=True))
        (staging / "group_vars" / "all" / "room.yml").write_text(
            header + yaml.safe_dump(room, sort_keys=False, allow_unicode=True))
        (staging / "group_vars" / "all" / "switch.yml").write_text(
            "# A skeleton of the room's switch: check the model, ports and VLANs (docs/switch.md).\n"
            + yaml.safe_dump(switch, sort_keys=False))
        for src, dst in ((SHARED / "all" / "roles.yml", "all/roles.yml"),
                         (SHARED / "servers.yml", "servers.yml"),
                         (SHARED / "terminals.yml", "terminals.yml"),
                         (REAL / "linux_terminals.yml", "linux_terminals.yml"),
                         (REAL / "windows_terminals.yml", "windows_terminals.yml")):
            if dst.startswith("windows") and not windows:
                continue
            shutil.copyfile(paths.PROJECT / src, staging / "group_vars" / dst)
        from labctl.core import veyon
        vault_password = secrets.token_urlsafe(32)
        _write_vault(staging / "group_vars" / "all" / "vault.yml", vault_password, {
            "vault_lab_student_password": secrets.token_urlsafe(12),
            "vault_lab_student_db_password": secrets.token_urlsafe(12),
            "vault_lab_seat_db_secret": secrets.token_urlsafe(24),
            "vault_lab_veyon_private_key": veyon.make_key()})  # lab_veyon's key pair
        fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(vault_password + "\n")
        state.new_admin_key()
        fd = os.open(state.known_hosts, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)  # filled by `labctl enroll`, one verified host key at a time
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if not out.exists():  # all made here: none of them existed before
            for made in (password_file, state.admin_key, state.admin_key.with_suffix(".pub"),
                         state.known_hosts):
                made.unlink(missing_ok=True)
        raise
    return out


def _write_vault(path: Path, password: str, values: dict) -> None:
    from ansible.parsing.vault import VaultLib, VaultSecret
    secret = VaultSecret(password.encode())
    text = VaultLib([("default", secret)]).encrypt(yaml.safe_dump(values), secret)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(text)
