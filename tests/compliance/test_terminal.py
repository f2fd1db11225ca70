"""A student terminal: accounts, MySQL, .NET, the browser matrix and reset readiness."""

import json
from pathlib import Path

import pytest

from labctl.core.ssh import run

from .conftest import root
from .probes.webkit import png_pixel

GROUP = "terminals"
WEBKIT_PROBE = (Path(__file__).parent / "probes" / "webkit.py").read_text()


def students(hv):
    return [s["name"] for s in hv.get("lab_common_students", [])]


def rgb(colour: str) -> list[int]:
    return [int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4)]


@pytest.mark.control("LAB-ACC-02")
def test_students_have_no_sudo(host, hv):
    assert students(hv), "no student account in lab_common_students"
    for name in students(hv):
        assert host.user(name).exists, f"student {name} is missing"
        out = root(host, "sudo -l -U %s", name)
        assert "not allowed to run sudo" in out.stdout, f"{name} may use sudo:\n{out.stdout}"
        groups = set(host.user(name).groups) & set(hv["lab_common_student_forbidden_groups"])
        assert not groups, f"{name} is in {sorted(groups)}"


@pytest.mark.control("LAB-ACC-03")
def test_students_homes_are_private(host, hv):
    for name in students(hv):
        home = host.file(f"/home/{name}")
        assert home.is_directory and home.user == name and home.mode == 0o700, \
            f"/home/{name}: {home.user} {oct(home.mode)}"


@pytest.mark.control("LAB-MYSQL-01")
def test_mysql_is_running_and_enabled(host):
    service = host.service("mariadb")
    assert service.is_running and service.is_enabled


@pytest.mark.control("LAB-MYSQL-02")
def test_mysql_listens_on_localhost_only(host):
    out = host.run("ss -Hltn 'sport = :3306'")
    listening = [line.split()[3].rsplit(":", 1)[0] for line in out.stdout.splitlines()]
    assert listening, "nothing listens on port 3306"
    outside = sorted(set(listening) - {"127.0.0.1", "[::1]"})
    assert not outside, f"MySQL listens beyond localhost on {', '.join(outside)} (* = every address)"


@pytest.mark.control("LAB-MYSQL-03")
def test_student_reaches_only_their_own_databases(host, seat, hv, connector):
    accounts = hv.get("lab_mysql_students", [])
    assert accounts, "no student MySQL account in lab_mysql_students"
    client = connector.connect(seat.name, str(seat.ip))
    try:
        for account in accounts:
            name = account["name"]
            secret = f"[client]\nuser={name}\npassword={account['password']}\n"
            mysql = "mysql --defaults-extra-file=/dev/stdin -N -e {!r}"
            dbs = run(client, mysql.format("SHOW DATABASES"), input=secret)
            assert dbs.ok, f"{name} cannot log in: {dbs.stderr.strip()}"
            own = set(dbs.stdout.split()) - {"information_schema"}
            assert own and all(db.startswith(f"{name}_") for db in own), own
            other = run(client, mysql.format("SELECT 1 FROM mysql.user LIMIT 1"), input=secret)
            assert not other.ok and "denied" in other.stderr, f"{name} can read mysql.user"
    finally:
        client.close()


@pytest.mark.control("LAB-DOTNET-01")
def test_dotnet_runs_a_program(host, hv):
    out = host.run("dotnet /usr/local/share/labctl/labcheck.dll")
    assert out.rc == 0, out.stderr
    assert f"runtime {hv['lab_dotnet_version']}" in out.stdout and "6*7=42" in out.stdout, out.stdout


BROWSERS = {
    "chromium": "chromium --headless --disable-gpu --window-size=320,240 --screenshot={png} {url}",
    "firefox": "firefox-esr --headless --window-size=320,240 --screenshot {png} {url}",
}
# Firefox keeps its profile between checks, in the admin's cache: making a new one costs
# ~2 CPU-seconds, more than rendering the page (Chromium gains nothing; it starts fresh).
KEPT_PROFILE = {"firefox"}


def screenshot(host, browser: str, url: str) -> bytes:
    """Run a headless browser; return the PNG it wrote into a fresh directory. The URL is
    made unique so that the page comes from the lab server, never from a kept cache."""
    tmp = host.run("mktemp -d /tmp/labctl-check.XXXXXX").stdout.strip()
    command = BROWSERS[browser].format(png=f"{tmp}/page.png", url=f"{url}?check={tmp[-6:]}")
    try:
        if browser in KEPT_PROFILE:
            home = f"$HOME/.cache/labctl-check/{browser}"
            # one check at a time uses it (flock); a profile that fails is made anew once
            attempt = f"HOME={home} flock {home}.lock timeout 60 {command}"
            run = (f"mkdir -p {home} && cd {tmp} && {attempt} || "
                   f"{{ rm -rf {home} && mkdir -p {home} && {attempt}; }}")
        else:
            run = f"cd {tmp} && HOME={tmp} timeout 60 {command}"
        out = host.run(run)
        shot = host.file(f"{tmp}/page.png")
        assert shot.exists, f"no screenshot (exit {out.rc}): {out.stderr[-500:]}"
        return shot.content
    finally:
        host.run(f"rm -rf {tmp}")


@pytest.mark.parametrize("browser", [
    pytest.param("chromium", marks=pytest.mark.control("LAB-WEB-01")),
    pytest.param("firefox", marks=pytest.mark.control("LAB-WEB-02")),
])
def test_browser_renders_the_test_page(host, hv, browser, record_property):
    png = screenshot(host, browser, f"http://{hv['lab_server_address']}/test/")
    pixel, width, height = png_pixel(png, 160, 180)
    assert pixel == rgb(hv["lab_server_test_colour"]), \
        f"{browser} rendered {width}x{height}, pixel {pixel}: not the test page's colour"
    record_property("rendered", f"{width}x{height}")


@pytest.mark.control("LAB-WEB-03")
def test_webkit_renders_the_test_page_through_webdriver(host, hv, record_property):
    out = host.run("python3 -c %s %s %s", WEBKIT_PROBE, f"http://{hv['lab_server_address']}/test/",
                   "text")
    assert out.rc == 0, out.stderr[-500:]
    seen = json.loads(out.stdout)
    assert "error" not in seen, seen
    assert seen["title"] == "labctl browser test 42"
    assert seen["text"].startswith("labctl browser test")
    assert seen["js"] == "42"
    record_property("browser", seen["browser"])
    # WebKitGTK under Xvfb in a container gives a blank screenshot; say which it was
    blank = seen["pixel"] != rgb(hv["lab_server_test_colour"])
    record_property("screenshot", "blank (none from the engine here)" if blank else "rendered")


@pytest.mark.control("LAB-WEB-04")
def test_the_engine_matrix_is_recorded(host, record_property):
    matrix = json.loads(host.file("/etc/ansible/facts.d/lab_browsers.fact").content_string)
    for engine in ("blink", "gecko", "webkit"):
        assert matrix[engine]["version"], f"{engine}: no version"  # rendering: LAB-WEB-01..03
        record_property(engine, matrix[engine]["version"])
    assert matrix["trident"]["applicable"] is False


@pytest.mark.control("LAB-APT-01")
def test_apt_uses_the_lab_servers_cache(host, hv):
    if not hv.get("lab_common_apt_proxy"):
        pytest.skip("the room has no package cache (lab_common_apt_proxy is empty)")
    out = host.run("apt-config dump Acquire::http::Proxy")
    assert f'"{hv["lab_common_apt_proxy"]}"' in out.stdout, out.stdout


@pytest.mark.control("LAB-TIME-02")
def test_time_comes_from_the_lab_server(host, hv):
    assert hv.get("lab_common_ntp_servers"), "lab_common_ntp_servers is empty"
    conf = host.file("/etc/systemd/timesyncd.conf.d/lab.conf").content_string
    assert f"NTP={' '.join(hv['lab_common_ntp_servers'])}" in conf
    assert host.service("systemd-timesyncd").is_enabled


@pytest.mark.control("LAB-RESET-01")
def test_the_reset_tool_and_golden_home_are_ready(host, hv):
    tool = host.file("/usr/local/sbin/lab-reset")
    assert tool.exists and tool.user == "root" and tool.mode & 0o100, "lab-reset is not installed"
    config = json.loads(root(host, "cat /etc/lab-reset.json").stdout or "{}")
    assert sorted(config.get("students", [])) == sorted(students(hv)), config.get("students")
    skel = config["skel"]
    for name in (".bashrc", ".profile"):  # the golden home is root's only (mode 0700)
        assert root(host, "test -f %s", f"{skel}/{name}").rc == 0, f"{skel}/{name} is missing"
    state = json.loads(root(host, "/usr/local/sbin/lab-reset sessions").stdout)
    assert state["ok"], state


@pytest.mark.control("LAB-RESET-02")
def test_the_course_database_template_is_ready(host, hv):
    out = root(host, "mysql -N -e %s", "SELECT COUNT(*) FROM shop_template.orders")
    assert out.rc == 0 and int(out.stdout) > 0, out.stderr or "the template has no orders"
    for name in hv.get("lab_coursedata_students", []):
        copy = root(host, "mysql -N -e %s", f"SELECT COUNT(*) FROM `{name}_shop`.orders")
        assert copy.rc == 0, f"{name}_shop: {copy.stderr.strip()}"
