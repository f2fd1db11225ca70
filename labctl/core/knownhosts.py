"""A room's known_hosts file (paths.RoomState), shared with Ansible and testinfra."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def _names(line: str) -> set[str]:
    return set(line.split()[0].split(",")) if line.strip() and not line.startswith("#") else set()


def _rewrite(path: Path, change) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lines = path.read_text().splitlines() if path.exists() else []
        lines = change(lines)
        tmp = path.with_suffix(".tmp")
        tmp.write_text("".join(f"{line}\n" for line in lines))
        os.chmod(tmp, 0o644)
        tmp.replace(path)


def replace(keys: dict[str, str], path: Path, aliases: dict[str, str] | None = None) -> None:
    """Record `address -> "type base64"` host keys, dropping older lines for those names."""
    aliases = aliases or {}
    names = set(keys) | {aliases[a] for a in keys if a in aliases}

    def change(lines):
        kept = [line for line in lines if not (_names(line) & names)]
        for address, key in keys.items():
            hosts = ",".join(filter(None, [address, aliases.get(address)]))
            kept.append(f"{hosts} {key}")
        return kept

    _rewrite(path, change)


def keys(path: Path, names: set[str]) -> list[str]:
    """The keys ("type base64") recorded for any of these names (addresses or aliases)."""
    if not path.exists():
        return []
    return [" ".join(line.split()[1:3]) for line in path.read_text().splitlines()
            if _names(line) & names and len(line.split()) >= 3]


def remove(addresses: list[str], path: Path) -> None:
    if path.exists():
        _rewrite(path, lambda lines: [line for line in lines if not (_names(line) & set(addresses))])
