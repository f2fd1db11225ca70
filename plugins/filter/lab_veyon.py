"""Filters of the lab_veyon role: the room as Veyon sees it, from labctl.core.veyon (the
code labctl drives Veyon with and exports Veyon Master's configuration from)."""

from __future__ import annotations

import json

from ansible.errors import AnsibleFilterError

try:
    from labctl.core import veyon
except ImportError:  # said where it is needed: one clear error, not a missing filter
    veyon = None


def _core():
    if veyon is None:
        raise AnsibleFilterError(
            "the lab_veyon role describes the room with labctl's own code (labctl.core.veyon), "
            "which ansible-playbook's Python cannot import: install labctl into that Python "
            "(pip install labctl-*.whl; an execution environment gets it from "
            "execution-environment.yml, docs/campus.md)")
    return veyon


def lab_veyon_config(room: str, hostvars, groups, masters: list) -> str:
    """Veyon's configuration for a seat of `room`, as `veyon-cli config import` reads it:
    key-file authentication, and the room's terminals (those with Veyon) and teacher hosts
    as its network-object directory."""
    core = _core()
    bad = core.problems(list(masters))
    if bad:
        raise AnsibleFilterError("lab_veyon_masters: " + "; ".join(f"{m} (fix: {f})" for m, f in bad))
    seats = []
    for name in groups.get("terminals", []):
        hv = hostvars[name]
        if hv.get("lab_room_name") != room or hv.get("lab_veyon_enabled", True) is False:
            continue
        seat = hv.get("lab_seat") or {}
        seats.append({"name": name, "ip": hv["ansible_host"],
                      "mac": str(hv.get("lab_mac", "")).lower().replace("-", ":"),
                      "row": seat.get("row"), "column": seat.get("column")})
    return json.dumps(core.config(room, seats, [str(m) for m in masters]), indent=2,
                      sort_keys=True) + "\n"


def lab_veyon_key_name(room: str) -> str:
    return _core().key_name(room)


def lab_veyon_public_key(private_pem: str) -> str:
    try:
        return _core().public_key(private_pem)
    except (ValueError, TypeError) as exc:
        raise AnsibleFilterError("vault_lab_veyon_private_key is not a PEM private key: make one "
                                 "with `labctl screens keygen` (docs/classroom.md)") from exc


class FilterModule:
    def filters(self):
        return {"lab_veyon_config": lab_veyon_config, "lab_veyon_key_name": lab_veyon_key_name,
                "lab_veyon_public_key": lab_veyon_public_key}
