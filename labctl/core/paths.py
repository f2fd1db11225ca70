"""Where labctl keeps its state on the admin host."""

from __future__ import annotations

import os
from dataclasses import dataclass
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

# What every room on this admin host shares (no secret of any room's): the golden images,
# the offline installers' mirror, generated test rooms, the audit log. Each room's own
# state (its admin key, known_hosts, fact cache) is RoomState below.
STATE = Path("/var/lib/labctl")
IMAGES = STATE / "images"
ROOMS = STATE / "rooms"
GENERATED = STATE / "generated"
AUDIT_DB = STATE / "audit.sqlite"
SSH_MASTERS = Path("/run/labctl-cp")  # control_path_dir: SSH masters, by address


@dataclass(frozen=True)
class RoomState:
    """One room's own state on the admin host: the room's inventory sets `lab_state_dir`
    (default /var/lib/labctl/rooms/<lab_room_name>), and everything else follows from it.
    The playbooks derive the same paths from the same variable (playbooks/group_vars/all.yml),
    and the compliance suite's conftest from this class, so labctl, ansible-playbook,
    ansible-runner/AWX and testinfra read one setting. A virtual room keeps its seats here too.
    """

    dir: Path

    @classmethod
    def of(cls, name: str, state_dir: str | None = None) -> "RoomState":
        return cls(Path(state_dir) if state_dir else ROOMS / name)

    @property
    def admin_key(self) -> Path:
        """The room's own admin SSH key (private; `.pub` beside it)."""
        return self.dir / "ssh" / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        """The room's host keys: the only ones its connections accept."""
        return self.dir / "known_hosts"

    @property
    def facts(self) -> Path:
        """Ansible's fact cache for the room's hosts (jsonfile, set by labctl's runs)."""
        return self.dir / "facts"

    def ansible_env(self) -> dict[str, str]:
        """The settings an Ansible run of this room takes from the environment: ansible.cfg
        caches facts in memory only; labctl's runs keep them per room."""
        return {"ANSIBLE_CACHE_PLUGIN": "jsonfile",
                "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(self.facts)}

    def ssh_args(self) -> str:
        """What ssh needs beyond ansible.cfg's ssh_args: the room's known_hosts."""
        return f"-o UserKnownHostsFile={self.known_hosts}"

    def new_admin_key(self) -> Path:
        """Make the room's admin key pair unless it exists; its private half is root's alone."""
        import subprocess
        if not self.admin_key.exists():
            self.make()
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C",
                            f"labctl admin {self.dir.name}", "-f", str(self.admin_key)],
                           check=True)
        return self.admin_key

    def make(self) -> "RoomState":
        """Make the state directory (root's alone) and its ssh/ beneath it."""
        if self.dir.parent == ROOMS:
            private(STATE)
            private(ROOMS)
        private(self.dir)
        private(self.admin_key.parent)
        return self

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
