"""The lab server: the course database and the room's services."""

import ipaddress

import pytest

from .conftest import fetch, root

GROUP = "servers"

NTP_PY = ("import socket, sys\n"
          "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)\n"
          "s.sendto(b'\\x23' + 47 * b'\\0', (sys.argv[1], 123))\n"
          "r = s.recv(48); print(r[0] & 7, r[1])")  # mode 4 = server; stratum


@pytest.mark.parametrize("unit", ["mariadb", "nginx", "apt-cacher-ng", "chrony", "dnsmasq"])
@pytest.mark.control("LAB-SRV-01")
def test_service_is_running_and_enabled(host, unit):
    service = host.service(unit)
    assert service.is_running and service.is_enabled


@pytest.mark.control("LAB-SRV-02")
def test_package_cache_answers(host, seat):
    status, body = fetch(host, f"http://{seat.ip}:3142/acng-report.html")
    assert status == 200 and "Apt-Cacher NG" in body


@pytest.mark.control("LAB-SRV-03")
def test_dhcp_configuration_is_valid_and_complete(host, room):
    assert root(host, "dnsmasq --test").rc == 0
    conf = host.file("/etc/dnsmasq.d/lab.conf").content_string
    missing = [s.name for s in room.seats if f"dhcp-host={s.mac},{s.ip},{s.name}" not in conf]
    assert not missing, f"no DHCP reservation for {', '.join(missing)}"


@pytest.mark.control("LAB-SRV-04")
def test_http_mirror_and_test_page_are_served(host, seat, hv, room, room_vars):
    archive = room_vars[room.terminals[0].name]["lab_dotnet_archive"]  # what terminals install
    status, body = fetch(host, f"http://{seat.ip}/mirror/dotnet/{archive}.sha256")
    assert status == 200 and len(body.split()[0]) == 64, body[:200]
    status, body = fetch(host, f"http://{seat.ip}/test/")
    assert status == 200 and hv["lab_server_test_colour"] in body


@pytest.mark.control("LAB-SRV-05")
def test_ntp_is_served_to_the_room(host, seat):
    out = host.run("python3 -c %s %s", NTP_PY, str(seat.ip))
    assert out.rc == 0, f"no NTP answer from {seat.ip}: {out.stderr.strip()[-200:]}"
    mode, stratum = (int(x) for x in out.stdout.split())
    assert mode == 4 and 1 <= stratum <= 15, f"mode {mode}, stratum {stratum}"


@pytest.mark.control("LAB-SRV-06")
def test_the_course_database_has_its_data(host):
    out = root(host, "mysql -N -e %s",
               "SELECT (SELECT COUNT(*) FROM shop.orders), (SELECT COUNT(*) FROM shop.customers)")
    assert out.rc == 0, out.stderr.strip()
    orders, customers = (int(x) for x in out.stdout.split())
    assert orders > 0 and customers > 0


@pytest.mark.control("LAB-SRV-07")
def test_the_course_database_is_reachable_from_the_room_only(host, seat, room):
    listening = host.run("ss -Hltn 'sport = :3306'").stdout.split()
    assert f"{seat.ip}:3306" in listening or "127.0.0.1:3306" in listening, listening
    assert not {"0.0.0.0:3306", "*:3306", "[::]:3306"} & set(listening), listening
    hosts = root(host, "mysql -N -e %s", "SELECT DISTINCT Host FROM mysql.user").stdout.split()
    outside = [h for h in hosts if h not in ("localhost", "127.0.0.1", "::1")
               and not _in_subnet(h, room.subnet)]
    assert not outside, f"accounts reachable from outside {room.subnet}: {outside}"


def _in_subnet(pattern: str, subnet) -> bool:
    try:
        return ipaddress.ip_address(pattern) in subnet
    except ValueError:
        return False  # wildcards such as % or 10.% are too wide
