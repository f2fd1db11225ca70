"""The collections the project declares are exactly the ones its roles use, in the tested
ranges, and the playbooks run with only those on Ansible's collections path."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BUNDLE = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
    / "site-packages" / "ansible_collections"
FQCN = re.compile(r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*\b")


def declared() -> dict[str, str]:
    doc = yaml.safe_load((ROOT / "collections/requirements.yml").read_text())
    return {c["name"]: c["version"] for c in doc["collections"]}


def used() -> set[str]:
    """Collections named by an FQCN anywhere in the roles and playbooks (modules, filters)."""
    found = set()
    for path in [*ROOT.glob("roles/**/*.yml"), *ROOT.glob("roles/**/*.j2"), *ROOT.glob("playbooks/*.yml")]:
        for ns, name in FQCN.findall(path.read_text()):
            if ns in {"ansible", "community", "cisco", "chocolatey"}:
                found.add(f"{ns}.{name}")
    return found - {"ansible.builtin"}


def version(name: str) -> str:
    ns, coll = name.split(".")
    return json.loads((BUNDLE / ns / coll / "MANIFEST.json").read_text())["collection_info"]["version"]


def test_every_collection_used_is_declared_and_nothing_else():
    needed = used() | {"ansible.netcommon"}  # cisco.ios's own dependency (network_cli)
    assert set(declared()) == needed


def test_the_installed_versions_are_inside_the_declared_ranges():
    from ansible.galaxy.dependency_resolution.versioning import meets_requirements
    for name, spec in declared().items():
        assert meets_requirements(version(name), spec), f"{name} {version(name)} is not {spec}"


@pytest.fixture(scope="module")
def only_declared(tmp_path_factory):
    """A collections path holding the declared collections only, installed by
    `ansible-galaxy collection install -r` from a local source, as an offline school
    would: collections/requirements.yml, each name pointed at the `ansible` bundle's copy."""
    tmp = tmp_path_factory.mktemp("collections")
    local = {"collections": [{"name": str(BUNDLE / name.replace(".", "/")), "type": "dir"}
                             for name in declared()]}
    (tmp / "requirements.yml").write_text(yaml.safe_dump(local))
    # the bundle is on Python's path, so galaxy would call it installed: --force copies
    proc = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline",
                           "--force", "-r", str(tmp / "requirements.yml"), "-p", str(tmp / "path")],
                          env={**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(tmp / "path")},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    top = tmp / "path" / "ansible_collections"
    installed = {f"{c.parent.name}.{c.name}" for c in top.glob("*/*") if c.is_dir()}
    assert installed == set(declared()), "galaxy installed other collections than declared"
    for name in declared():
        ns, coll = name.split(".")
        got = json.loads((top / ns / coll / "MANIFEST.json").read_text())["collection_info"]
        assert got["version"] == version(name) and not (top / ns / coll).is_symlink()
    return {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
            "ANSIBLE_COLLECTIONS_PATH": str(top.parent), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_VAULT_PASSWORD_FILE": str(ROOT / "inventory/demo.vault-pass"),
            "PATH": f"{BIN}:{os.environ['PATH']}"}


@pytest.mark.parametrize("playbook", sorted(p.name for p in (ROOT / "playbooks").glob("*.yml")))
def test_the_playbooks_resolve_every_module_with_only_the_declared_collections(only_declared, playbook):
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", "inventory/example-school",
                           f"playbooks/{playbook}"], cwd=ROOT, env=only_declared,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_switch_renders_with_only_the_declared_collections(only_declared, tmp_path):
    """The filters too (ansible.utils.ipaddr) and cisco.ios's rendered state: the switch
    play renders every vendor's configuration offline."""
    out = tmp_path / "out"
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "inventory/example-school",
                           "playbooks/switch.yml", "-e", f"lab_switch_render_dir={out}"],
                          cwd=ROOT, env=only_declared, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert list(out.glob("*.cfg")), "nothing rendered"


def test_the_execution_environment_names_every_collection_and_python_package(tmp_path):
    """ansible-builder renders the EE's build context offline: what AWX would build holds
    the declared collections, the Python packages the roles need on the controller, and
    labctl's own wheel (the switch filter's planner, the course-data generator)."""
    here = tmp_path / "project"
    for name in ("execution-environment.yml", "requirements.txt", "bindep.txt",
                 "collections/requirements.yml"):
        (here / name).parent.mkdir(parents=True, exist_ok=True)
        (here / name).write_bytes((ROOT / name).read_bytes())
    wheel = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                            str(here / "dist"), str(ROOT)], capture_output=True, text=True)
    assert wheel.returncode == 0, wheel.stderr[-2000:]
    proc = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml",
                           "-c", str(tmp_path / "context")], cwd=here, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    build = tmp_path / "context" / "_build"
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert {c["name"] for c in galaxy["collections"]} == set(declared())
    python = {re.split(r"[<>=\s#]", line.strip())[0].lower()
              for line in (build / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")}
    # password_hash needs passlib, ansible.utils.ipaddr netaddr, community.mysql pymysql,
    # the Windows roles' WinRM connection pywinrm
    assert {"passlib", "netaddr", "pymysql", "pywinrm"} <= python
    dockerfile = (tmp_path / "context" / "Dockerfile").read_text()
    assert "ansible-core>=2.19,<2.20" in dockerfile
    wheels = list((build / "labctl").glob("labctl-*.whl"))
    assert len(wheels) == 1 and "pip install --no-deps /tmp/labctl/*.whl" in dockerfile
    import zipfile
    names = zipfile.ZipFile(wheels[0]).namelist()
    assert "labctl/core/switch.py" in names and "labseat/coursedata.py" in names
