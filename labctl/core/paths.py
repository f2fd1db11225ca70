"""Where labctl keeps its state on the admin host."""

from __future__ import annotations

import os
from pathlib import Path


def _project() -> Path:
    """The Ansible project labctl runs (ansible.cfg, playbooks/, roles/, the compliance
    suite, the demo inventory): LABCTL_PROJECT if set; else the checkout this module is in;
    else, for an installed labctl, the copy its wheel carries (labctl/project, setup.py)."""
    if os.environ.get("LABCTL_PROJECT"):
        return Path(os.environ["LABCTL_PROJECT"]).resolve()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "playbooks" / "site.yml").is_file() and (checkout / "pyproject.toml").is_file():
        return checkout
    return Path(__file__).resolve().parents[1] / "project"


PROJECT = _project()
DEFAULT_INVENTORY = PROJECT / "inventory" / "demo"

# ansible.cfg names the same paths; change both together.
STATE = Path("/var/lib/labctl")
KNOWN_HOSTS = STATE / "known_hosts"
ADMIN_KEY = STATE / "ssh" / "id_ed25519"
IMAGES = STATE / "images"
ROOMS = STATE / "rooms"
GENERATED = STATE / "generated"
AUDIT_DB = STATE / "audit.sqlite"
SSH_MASTERS = Path("/run/labctl-cp")  # control_path_dir: SSH masters, by address

# The demo's vault password: committed, so public. Only a virtual room may use it.
DEMO_VAULT_PASSWORD = PROJECT / "inventory" / "demo.vault-pass"


def vault_password_file(inventory: str | Path) -> Path | None:
    """The room's vault password file: Ansible's own ANSIBLE_VAULT_PASSWORD_FILE when set,
    else `<inventory>.vault-pass` beside the inventory (inventory/demo.vault-pass for the
    demo), else none. Nothing points every room at the demo's password."""
    if os.environ.get("ANSIBLE_VAULT_PASSWORD_FILE"):
        return Path(os.environ["ANSIBLE_VAULT_PASSWORD_FILE"])
    inv = Path(inventory).absolute()
    if inv.is_file():
        inv = inv.parent
    beside = inv.with_name(inv.name + ".vault-pass")
    return beside if beside.is_file() else None


def vault_env(inventory: str | Path) -> dict[str, str]:
    """What a child process (ansible-playbook, testinfra) needs to open the room's vault."""
    found = vault_password_file(inventory)
    return {"ANSIBLE_VAULT_PASSWORD_FILE": str(found)} if found else {}


def private(path: Path) -> Path:
    """A directory of labctl's state that only root can enter (0700), made if missing."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path
