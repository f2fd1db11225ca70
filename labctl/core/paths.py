"""Where labctl keeps its state on the admin host."""

from __future__ import annotations

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
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
