"""The Windows terminals, verified statically (no Windows host runs on this machine):
the example room validates, the playbooks parse, bad role input fails before any
connection, and what the roles write (the IE-mode site list, Edge's policies, the
browser fact) is rendered and checked by parsers."""

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from labctl.cli import main
from labctl.core.inventory import load_room, render_vars

ROOT = Path(__file__).resolve().parents[2]
SCHOOL = ROOT / "inventory" / "example-school"
BIN = Path(sys.executable).parent
ENV = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_GATHERING": "explicit",
       "PATH": f"{BIN}:{os.environ['PATH']}"}
# The example school ships no secrets (its vault.yml is a placeholder that stops a run):
# a run that gets as far as the roles is given stand-in ones, as a room's vault would.
SECRETS = ["-e", '{"vault_lab_student_password": "pw-example", "vault_lab_student_db_password": '
           '"db-example", "vault_lab_seat_db_secret": "seat-example"}']
COMPAT = {"Default", "IE8Enterprise", "IE7Enterprise", "IE11", "IE10", "IE9", "IE8", "IE7", "IE5"}


def trusted(value):
    """Values read from the role's files, marked as templates the way Ansible marks its own."""
    from ansible.template import trust_as_template
    if isinstance(value, dict):
        return {k: trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [trusted(v) for v in value]
    return trust_as_template(value) if isinstance(value, str) else value


def role_vars(role: Path) -> dict:
    from ansible.parsing.dataloader import DataLoader
    variables = {}
    for name in ("defaults", "vars"):
        if (role / name / "main.yml").exists():
            variables.update(trusted(DataLoader().load_from_file(str(role / name / "main.yml"))))
    return variables


def render(template: Path, host: str, extra: dict | None = None) -> str:
    """A role template rendered by Ansible's own templating with the host's variables."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    loader = DataLoader()
    variables = role_vars(template.parents[1])
    names = ["lab_windows_edge_ie_sites"]
    variables.update(render_vars(SCHOOL, [host], names)[host])
    variables.update(extra or {})
    return Templar(loader=loader, variables=variables).template(trust_as_template(template.read_text()))


def test_the_example_school_is_a_valid_mixed_room(capsys):
    assert main(["validate", "-i", str(SCHOOL)]) == 0
    room = load_room(SCHOOL)
    windows = [s for s in room.terminals if s.os_family == "windows"]
    assert len(room.terminals) == 40 and len(windows) == 24
    assert {s.reset_method for s in windows} == {"uwf"}
    assert {s.reset_method for s in room.terminals if s.is_linux} == {"reboot-restore"}


@pytest.mark.parametrize("playbook", ["site.yml", "windows.yml", "reset.yml"])
def test_the_playbooks_parse_with_the_mixed_room(playbook):
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(SCHOOL),
                           f"playbooks/{playbook}"], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


BAD = {
    "chocolatey source": ("lab_windows_common_choco_source=floppy",
                          "lab_windows_common_choco_source must be one of: internal, public"),
    "reset method": ("lab_windows_reset_method=deepfreeze",
                     "lab_windows_reset_method must be one of: uwf, windows-profile"),
    "IE open-in": ('{"lab_windows_edge_ie_sites": [{"url": "a.example", "open_in": "Netscape"}]}',
                   "open_in must be one of: IE11, MSEdge, None"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_windows_role_input_fails_before_connecting(case):
    extra, words = BAD[case]
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(SCHOOL), "playbooks/windows.yml",
                           "--limit", "r3s1", *SECRETS, "-e", extra], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and words in out, out[-2000:]
    assert "unreachable=0" in out and "changed=0" in out, "it tried the host: " + out[-1000:]


def test_the_ie_mode_site_list_is_what_edge_reads():
    xml = render(ROOT / "roles/lab_windows_edge/templates/ie-sitelist.xml.j2", "r3s1",
                 {"ansible_managed": "labctl"})
    root = ET.fromstring(xml.encode())
    assert root.tag == "site-list" and root.get("version", "").isdigit()
    assert root.find("created-by/tool") is not None
    sites = root.findall("site")
    assert [s.get("url") for s in sites] == ["jw.example.edu.cn/legacy",
                                            "sxpt.example.edu.cn/ecommerce-sim", "www.example.edu.cn"]
    for site in sites:
        assert {child.tag for child in site} == {"compat-mode", "open-in"}
        assert site.findtext("compat-mode") in COMPAT
        assert site.findtext("open-in") in {"IE11", "MSEdge", "None"}
    assert sites[1].findtext("compat-mode") == "IE8Enterprise" and sites[2].findtext("open-in") == "MSEdge"


def test_edge_policies_enable_ie_mode_with_the_site_list():
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    variables = role_vars(ROOT / "roles" / "lab_windows_edge")
    policies = Templar(loader=DataLoader(), variables=variables).template(
        trust_as_template("{{ __lab_windows_edge_policies }}"))
    values = {p["name"]: (p["type"], p["data"]) for p in policies}
    assert values["InternetExplorerIntegrationLevel"] == ("dword", 1)
    assert values["InternetExplorerIntegrationSiteList"] == (
        "string", "file:///C:/ProgramData/labctl/ie-sitelist.xml")
    assert values["InternetExplorerIntegrationReloadInIEModeAllowed"][0] == "dword"


def test_the_windows_browser_fact_has_the_ie_column():
    fact = json.loads(render(ROOT / "roles/lab_windows_software/templates/lab_browsers.json.j2",
                             "r3s1"))
    assert fact["trident"]["applicable"] is True and fact["trident"]["binary"].endswith("msedge.exe")
    assert fact["webkit"]["applicable"] is False
    assert fact["trident"]["site_list"] == "C:\\ProgramData\\labctl\\ie-sitelist.xml"


def test_the_compliance_suite_gives_each_seat_its_own_controls():
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
                           "no:cacheprovider", "tests/compliance", "--hosts=ansible://all",
                           f"--ansible-inventory={SCHOOL}"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=300)
    ids = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "tests/compliance/test_windows.py::test_students_are_not_administrators[ansible://r3s1]" in ids
    assert "tests/compliance/test_terminal.py::test_dotnet_runs_a_program[ansible://r1s1]" in ids
    assert not any("test_windows.py" in i and "r1s1" in i for i in ids), "Windows controls on Linux"
    assert not any("test_terminal.py" in i and "r3s1" in i for i in ids), "Linux controls on Windows"
    assert not any("[ansible://srv01]" in i and "test_terminal.py" in i for i in ids)


def test_labctl_check_takes_windows_seats_and_probes_their_winrm_port():
    """Windows seats go through the same check as Linux ones: probed on their admin port
    (WinRM over HTTPS here), then the Windows controls. No school room is reachable from
    this machine, so both seats come back as one LAB-REACH-01 result each, at once."""
    from labctl.core.check import run_check
    from labctl.core.inventory import load_room
    room = load_room(SCHOOL)
    report = run_check(room, [room.seat("r3s1"), room.seat("r1s1")], record=False)
    by_seat = {r.seat: r for r in report.results}
    assert set(by_seat) == {"r3s1", "r1s1"}
    assert all(r.control == "LAB-REACH-01" and r.outcome == "unreachable" for r in report.results)
    assert "WinRM" in by_seat["r3s1"].message and "5986" in by_seat["r3s1"].message
    assert by_seat["r1s1"].message.startswith("SSH port does not answer")


USER_WRITABLE = ("$env:PUBLIC", "$env:TEMP", "$env:TMP", "$env:APPDATA", "$env:LOCALAPPDATA",
                 "$env:USERPROFILE", "C:\\Users", "C:\\Windows\\Temp")


def test_the_windows_roles_write_nowhere_a_student_can():
    """Read as a student would attack it (no Windows host runs here): no task writes under a
    directory every user can write, and labctl's directory in C:\\ProgramData (where Users
    may create folders) is taken back from whoever made it before anything is written in it."""
    tasks = {p: p.read_text() for p in sorted(ROOT.glob("roles/lab_windows_*/tasks/*.yml"))}
    for path, text in tasks.items():
        for place in USER_WRITABLE:
            assert place.lower() not in text.lower(), f"{path} writes under {place}"
    software = (ROOT / "roles/lab_windows_software/tasks/main.yml").read_text()
    take_back = software.index("Keep labctl's directory the administrators' alone")
    assert take_back < software.index("lab_browsers.json")
    assert "Rename-Item" in software[take_back:] and "S-1-5-32-544" in software[take_back:]
    play = (ROOT / "playbooks/windows.yml").read_text()
    assert play.index("role: lab_windows_software") < play.index("role: lab_windows_edge"), \
        "the site list is written into the directory after it is taken back"



def _render(expression: str, **variables):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template
    return Templar(DataLoader(), variables=variables).template(trust_as_template(expression))


# `-e name=False` hands a role the string "False", which Jinja alone takes as true: the
# freeze of UWF and of overlayroot reads its flag as a boolean (and labctl passes JSON)
@pytest.mark.parametrize("maintenance, frozen", [(False, True), ("False", True), ("no", True),
                                                 (True, False), ("True", False)])
def test_uwf_is_frozen_unless_maintenance_whatever_form_the_flag_comes_in(maintenance, frozen):
    tasks = yaml.safe_load((ROOT / "roles/lab_windows_reset/tasks/uwf.yml").read_text())
    task = next(t for t in tasks if t["name"].startswith("Uwf | Freeze"))
    expression = task["ansible.windows.win_powershell"]["parameters"]["Frozen"]
    assert str(_render(expression, lab_windows_reset_maintenance=maintenance)) == str(frozen)


@pytest.mark.parametrize("flag, setting", [(True, "tmpfs:recurse=0"), ("True", "tmpfs:recurse=0"),
                                           (False, "disabled"), ("False", "disabled"),
                                           ("no", "disabled")])
def test_overlayroot_is_thawed_only_when_the_flag_says_so(flag, setting):
    conf = yaml.safe_load((ROOT / "roles/lab_reset/vars/main.yml").read_text())
    rendered = _render(conf["__lab_reset_overlayroot_conf"], lab_reset_frozen=flag,
                       lab_reset_overlayroot="tmpfs:recurse=0")
    assert f'overlayroot="{setting}"' in rendered


def test_windows_terminals_get_the_courses_tools_the_linux_desktop_has():
    """Statically (no Windows here): lab_windows_software installs a spreadsheet, Python for
    the notebooks, an editor and a SQL client from the lab feed, as lab_desktop does on
    Linux, and the notebook's Python packages from the lab server's PyPI mirror."""
    defaults = yaml.safe_load((ROOT / "roles/lab_windows_software/defaults/main.yml").read_text())
    linux = yaml.safe_load((ROOT / "roles/lab_desktop/defaults/main.yml").read_text())
    courses = {p["name"] for p in defaults["lab_windows_software_courses"]}
    assert {"libreoffice-fresh", "python311", "notepadplusplus", "mysql.workbench"} <= courses
    assert "libreoffice-calc" in linux["lab_desktop_tool_packages"]
    linux_python = {p.removeprefix("python3-") for p in linux["lab_desktop_tool_packages"]
                    if p.startswith("python3-")}
    assert {"pandas", "matplotlib", "openpyxl", "pymysql"} <= linux_python
    assert {"pandas", "matplotlib", "openpyxl", "pymysql", "notebook", "nbconvert"} <= \
        set(defaults["lab_windows_software_pip_packages"])
    tasks = (ROOT / "roles/lab_windows_software/tasks/main.yml").read_text()
    assert "+ lab_windows_software_courses }}" in tasks and "lab_windows_software_pip_index]" in tasks
