"""Static checks of the Ansible code: ansible-lint's production profile and syntax checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "PATH": f"{BIN}:{os.environ['PATH']}",
       "ANSIBLE_VAULT_PASSWORD_FILE": str(ROOT / "inventory" / "demo.vault-pass")}


def test_ansible_lint_production_profile_passes():
    proc = subprocess.run([str(BIN / "ansible-lint"), "--profile", "production", "playbooks", "roles"],
                          cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("playbook", sorted(p.name for p in (ROOT / "playbooks").glob("*.yml")))
def test_playbook_syntax(playbook):
    proc = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", "inventory/demo",
                           f"playbooks/{playbook}"], cwd=ROOT, env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
