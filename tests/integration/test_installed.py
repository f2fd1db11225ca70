"""labctl installed from its wheel into a fresh venv, run away from the checkout.

The wheel is built from this checkout (`pip wheel .`), installed without its
dependencies into a new venv whose only other path is the project venv's site-packages
(the dependencies, already installed: the test stays offline and quick, and that path
holds no labctl of its own: the checkout's editable install is a finder the new venv
never loads); the dependencies' commands (ansible-playbook, ansible-inventory, ...) are
written into the new venv's bin as pip writes them. Every command runs from a directory outside the checkout with no
ANSIBLE_CONFIG or PYTHONPATH, so it can only find what the wheel carries.
"""

import json
import os
import site
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from labctl.coursedata.localdb import private_server

from tests.unit.test_cli_json import documented
from tests.vroom import INVENTORY

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(run(*argv) -> CompletedProcess, the venv, the directory commands run in)."""
    base = tmp_path_factory.mktemp("installed")
    wheels = base / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q",
                    "-w", str(wheels)], check=True, capture_output=True)
    wheel = next(wheels.glob("labctl-*.whl"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True,
                   capture_output=True)
    purelib = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    for dist in ("ansible-core", "pytest"):  # the commands pip would have installed with them
        for ep in metadata.distribution(dist).entry_points.select(group="console_scripts"):
            module, func = ep.value.split(":")
            script = venv / "bin" / ep.name
            script.write_text(f"#!{py}\nimport sys\nfrom {module} import {func}\n"
                              f"sys.exit({func}())\n")
            script.chmod(0o755)
    work = base / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("ANSIBLE_CONFIG", "PYTHONPATH", "LABCTL_PROJECT", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}"

    def run(*argv, timeout=900):
        return subprocess.run([str(venv / "bin" / "labctl"), *argv], cwd=work, env=env,
                              capture_output=True, text=True, timeout=timeout)
    return run, venv, work


def test_the_installed_labctl_runs_its_own_copy_of_the_project(installed):
    run, venv, work = installed
    version = run("--version")
    assert version.returncode == 0, version.stderr
    assert "labctl 0.1.0" in version.stdout
    project = version.stdout.split("project: ")[1].rstrip(")\n")
    assert project.startswith(str(venv)) and project.endswith("labctl/project"), version.stdout
    for part in ("ansible.cfg", "playbooks/site.yml", "roles/lab_common/tasks/main.yml",
                 "tests/compliance/test_terminal.py", "collections/requirements.yml",
                 "inventory/demo/hosts.yml", "labseat/reset.py", "labseat/schema.sql"):
        assert (Path(project) / part).is_file(), part
    module = subprocess.run([str(venv / "bin" / "python"), "-m", "labctl", "--version"],
                            cwd=work, capture_output=True, text=True)
    assert module.stdout == version.stdout
    demo = run("validate")  # the default inventory: the demo room the wheel carries
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert run("validate", "-i", str(INVENTORY)).returncode == 0


def test_the_installed_labctl_generates_and_loads_the_course_data(installed, tmp_path):
    run, _, work = installed
    generated = run("coursedata", "generate", "--scale", "0.02", "--seed", "3", "--out", "data")
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert (work / "data" / "orders.csv").is_file()
    with private_server(tmp_path / "mariadb") as server:
        loaded = run("coursedata", "load", "--data", "data", "--socket", server.unix_socket)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert "shop:" in loaded.stdout and " rows in " in loaded.stdout, loaded.stdout


def test_the_installed_labctl_checks_and_provisions_the_virtual_room(installed, provisioned):
    run, _, _ = installed
    checked = run("check", "-i", str(INVENTORY), "--limit", "it01")
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-2000:]
    assert "1 of 1 seats compliant" in checked.stdout, checked.stdout
    # settled first by the checkout's own run (a reset by an earlier test leaves work that a
    # run legitimately does: the student's next database copy); then the installed project,
    # a copy of the same, must find nothing to change
    from labctl.core.playbook import run_playbook
    assert run_playbook(INVENTORY, "site.yml", limit="it01").succeeded
    provisioned_run = run("provision", "-i", str(INVENTORY), "--limit", "it01", "--json")
    assert provisioned_run.returncode == 0, provisioned_run.stdout[-3000:] + provisioned_run.stderr
    answer = json.loads(provisioned_run.stdout)  # docs/cli.md: provision --json
    assert set(answer) == documented("`labctl provision --json` keys:")
    assert answer["ok"] and answer["changed"] == 0 and answer["interrupted"] == ""
    assert [(h["host"], h["outcome"], h["changed"]) for h in answer["hosts"]] == [("it01", "ok", 0)]
