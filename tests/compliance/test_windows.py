"""A Windows terminal (testinfra's WinRM backend: pip install pywinrm). Written and
collected here, never run: no Windows host runs on this machine (docs/windows.md)."""

import pytest

GROUP = "windows"


def ps(host, script):
    """Run PowerShell on the seat (testinfra's WinRM backend runs cmd.exe commands)."""
    return host.run('powershell -NoProfile -NonInteractive -Command "%s"' % script.replace('"', '\\"'))


@pytest.mark.control("LAB-WIN-ACC-01")
def test_students_are_not_administrators(host, hv):
    admins = host.run("net localgroup Administrators").stdout.lower().split()
    for student in hv.get("lab_common_students", []):
        assert student["name"].lower() not in admins, f"{student['name']} is an administrator"


@pytest.mark.control("LAB-WIN-MYSQL-01")
def test_mysql_service_runs_at_boot(host):
    out = ps(host, "Get-Service MySQL* | ForEach-Object { $_.Status.ToString() + ' ' + $_.StartType }")
    assert out.rc == 0 and out.stdout.split() == ["Running", "Automatic"], out.stdout


@pytest.mark.control("LAB-WIN-DOTNET-01")
def test_dotnet_sdk_8_runs(host):
    out = host.run("dotnet --list-sdks")
    assert out.rc == 0 and any(line.startswith("8.") for line in out.stdout.splitlines()), out.stdout


@pytest.mark.control("LAB-WIN-WEB-01")
def test_edge_ie_mode_is_on_with_the_site_list(host):
    out = host.run(r"reg query HKLM\SOFTWARE\Policies\Microsoft\Edge /v InternetExplorerIntegrationLevel")
    assert "0x1" in out.stdout, out.stdout
    sites = ps(host, r"([xml](Get-Content C:\ProgramData\labctl\ie-sitelist.xml)).'site-list'.site.Count")
    assert sites.rc == 0 and int(sites.stdout.strip() or 0) >= 0


@pytest.mark.control("LAB-WIN-RESET-01")
def test_the_write_filter_protects_the_seat(host, seat):
    if seat.reset_method != "uwf":
        pytest.skip(f"{seat.name} resets its profiles (no write filter)")
    out = ps(host, r"(Get-CimInstance -Namespace root\standardcimv2\embedded -ClassName UWF_Filter).CurrentEnabled")
    assert out.stdout.strip() == "True", "UWF is off: the seat is in maintenance or was never frozen"
