"""Provision the virtual room with the project's playbooks, fast.

The lab server is provisioned live. The terminals are provisioned once, on one
representative seat; its writable layer then becomes a read-only layer that
every terminal boots on (like a golden image made by the same playbooks), so a
room of 60 seats is provisioned in the time of one. A final run of site.yml
over the whole room proves the result: it must change nothing a seat needs.
Layers are cached by the hash of the roles, playbooks and inventory.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from labctl.core import paths
from labctl.core.errors import VlabError
from labctl.core.playbook import PlaybookResult, room_limit, run_playbook
from labctl.core.pull import push_and_pull
from labctl.i18n import _
from labctl.vlab import image as golden
from labctl.vlab.room import VirtualRoom

LAYERS = paths.IMAGES / "layers"


def _tree_hash(*roots: Path) -> str:
    """The files seats are built from; the switch's are not (no seat's layer holds them)."""
    digest = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for f in files:
            if "lab_switch" in f.parts or f.name == "switch.yml" or "__pycache__" in f.parts:
                continue
            digest.update(str(f.relative_to(root.parent)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


def layer_key(vroom: VirtualRoom) -> str:
    inv = vroom.room.inventory
    # a layer holds only what provisioning changed: it belongs to the image it was made on
    return golden.image_key(vroom.admin_user) + "-" + _tree_hash(
        paths.PROJECT / "roles", paths.PROJECT / "playbooks", paths.PROJECT / "labseat", inv,
        paths.PROJECT / "ansible.cfg")


def _check(result: PlaybookResult, what: str) -> PlaybookResult:
    if not result.succeeded:
        tail = "\n".join(result.output.splitlines()[-25:])
        raise VlabError(_("{what} failed on {hosts}:", what=what,
                          hosts=", ".join(result.failed_hosts) or _("the room")) + f"\n{tail}")
    return result


def _ready(vroom: VirtualRoom, seats) -> None:
    """Every seat lets the admin log in (a seat stuck booting is reset by its runner's
    watchdog within minutes: wait for that rather than fail a playbook on it)."""
    vroom.wait_ready(list(seats), 300)
    late = [s.name for s in seats if not vroom.can_log_in(s)]
    if late:
        raise VlabError(_("{seats} did not let the admin log in; see {dir}/seats/SEAT/console.log",
                          seats=", ".join(late), dir=vroom.dir))


def provision(vroom: VirtualRoom, progress=print, mode: str | None = None) -> PlaybookResult:
    """The room provisioned; its closing converge pushes, or lets the terminals pull
    (mode, default the inventory's lab_provision_mode)."""
    room, inv = vroom.room, vroom.room.inventory
    _ready(vroom, room.seats)
    linux = [s for s in room.terminals if s.is_linux]
    progress("configuring the room switch (switch.yml)")
    _check(run_playbook(inv, "switch.yml", state=room.state, limit=room_limit(room, None)),
           "switch.yml")
    if room.servers:
        progress(f"provisioning the lab server{'s' if len(room.servers) > 1 else ''} (server.yml)")
        _check(run_playbook(inv, "server.yml", state=room.state,
                            limit=room_limit(room, "servers")), "server.yml")
    if linux:
        layer = LAYERS / f"terminal-{layer_key(vroom)}"
        if not layer.exists():
            rep = linux[0]
            progress(f"provisioning the terminal layer on {rep.name} (terminals.yml)")
            if vroom.layers(rep):
                vroom.stop_seat(rep)
                vroom.set_layers(rep, [])
                vroom.start_seat(rep)
                vroom.wait_ready([rep], 120)
            _check(run_playbook(inv, "terminals.yml", state=room.state, limit=rep.name),
                   "terminals.yml")
            vroom.stop_seat(rep)
            LAYERS.mkdir(parents=True, exist_ok=True)
            partial = layer.with_name(layer.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            (vroom.seat_dir(rep) / "upper").rename(partial)
            for junk in ("var/log/journal", "var/cache/apt/archives"):
                shutil.rmtree(partial / junk, ignore_errors=True)
            partial.rename(layer)
            vroom.set_layers(rep, [str(layer)])
            vroom.start_seat(rep)
        moved = [s for s in linux if vroom.layers(s) != [str(layer)]]
        if moved:
            progress(f"booting {len(moved)} terminal(s) on the provisioned layer {layer.name}")
            vroom.stop_seats(moved, timeout=30)
            for seat in moved:
                vroom.set_layers(seat, [str(layer)])
                vroom.start_seat(seat)
        statuses = vroom.wait_ready(linux, 180)
        down = [s.name for s in statuses if s.state != "running"]
        if down:
            raise VlabError(_("terminals did not come back after provisioning: {seats}",
                              seats=", ".join(down)))
    if (mode or room.vars.get("lab_provision_mode")) == "pull" and linux and room.servers:
        progress("running site.yml over the whole room; the terminals pull (docs/pull.md)")
        return _check(push_and_pull(room, "site.yml", None, linux, False, None, None), "site.yml")
    progress("running site.yml over the whole room")
    return _check(run_playbook(inv, "site.yml", state=room.state,
                               limit=room_limit(room, None)), "site.yml")
