"""Benchmark: a no-op re-run of site.yml, the project's tuned settings against stock Ansible.

    sudo .venv/bin/python bench/provision.py [--sizes 12 60]

For each size, a generated virtual room of N terminals is booted and provisioned
(`labctl vlab up --provision`), then site.yml is run again, which must change
nothing, twice in the same run:

- tuned: the project's ansible.cfg (forks 64, pipelining, SSH ControlPersist,
  fact caching with smart gathering);
- stock: Ansible's defaults (forks 5, no pipelining, facts gathered every run,
  no cache), keeping only what security and the room need: the known_hosts and
  key that labctl verifies, the vault password, the roles path.

- mitogen (when the `mitogen` package is installed): the tuned settings with
  Mitogen's `mitogen_linear` strategy, which keeps one Python per host instead of
  starting one per task (host keys still verified by OpenSSH with labctl's known_hosts).

The times and the ratios are printed. The room is torn down afterwards.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from labctl.core import mirror, paths  # noqa: E402
from labctl.core.inventory import load_room  # noqa: E402
from labctl.core.playbook import run_playbook  # noqa: E402
from labctl.vlab.generate import generated_room  # noqa: E402
from labctl.vlab.provision import provision  # noqa: E402
from labctl.vlab.room import VirtualRoom  # noqa: E402

STOCK_CFG = f"""[defaults]
roles_path = {paths.PROJECT / 'roles'}
host_key_checking = True
private_key_file = {paths.ADMIN_KEY}
vault_password_file = {paths.PROJECT / 'inventory/demo.vault-pass'}
force_handlers = True

[ssh_connection]
ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile={paths.KNOWN_HOSTS} -o StrictHostKeyChecking=yes
"""


def mitogen_env() -> dict | None:
    try:
        import ansible_mitogen
    except ImportError:
        return None
    plugins = Path(ansible_mitogen.__file__).parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": "mitogen_linear"}


def timed(room, env=None) -> tuple[float, int, bool]:
    t0 = time.monotonic()
    result = run_playbook(room.inventory, "site.yml", env=env)
    return time.monotonic() - t0, result.changed, result.succeeded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[12, 60])
    parser.add_argument("-i", "--inventory", default=str(paths.DEFAULT_INVENTORY))
    args = parser.parse_args()
    base = load_room(args.inventory)
    mirror.dotnet()
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write(STOCK_CFG)
        stock_cfg = f.name
    mitogen = mitogen_env()
    print(f"{'terminals':>9} {'hosts':>5} {'tuned s':>8} {'stock s':>8} {'stock/tuned':>11} "
          f"{'mitogen s':>9} {'stock/mitogen':>13} {'changed':>7} {'ok':>3}")
    ok = True
    for n in args.sizes:
        room = generated_room(base, n)
        vroom = VirtualRoom(room, progress=lambda *_: None)
        vroom.up(wait=300)
        provision(vroom, progress=lambda *_: None)
        tuned = timed(room)
        stock = timed(room, env={"ANSIBLE_CONFIG": stock_cfg})
        mito = timed(room, env=mitogen) if mitogen else (float("nan"), 0, True)
        good = all(r[2] and r[1] == 0 for r in (tuned, stock, mito))
        ok &= good
        print(f"{n:>9} {len(room.seats):>5} {tuned[0]:>8.1f} {stock[0]:>8.1f} "
              f"{stock[0] / tuned[0]:>11.2f} {mito[0]:>9.1f} {stock[0] / mito[0]:>13.2f} "
              f"{tuned[1]}/{stock[1]}/{mito[1]:<3} {'yes' if good else 'NO':>3}", flush=True)
        vroom.down(purge=True)
    print("goal: 60 terminals in <= 60 s, and >= 3x faster than stock")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
