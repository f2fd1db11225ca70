"""Benchmark: a no-op re-run of site.yml, the project's tuned settings against stock Ansible.

    .venv/bin/python bench/provision.py [--sizes 12 60] [--keep | --reuse]
                                        [--runs tuned linear stock]  (as root)

For each size, a generated virtual room of N terminals is booted and provisioned
(`labctl vlab up --provision`), then site.yml is run again, which must change
nothing, up to three times in the same run:

- tuned: the project's ansible.cfg (Mitogen's linear strategy: one Python per host
  for the run instead of one per task; forks 64, pipelining, SSH ControlPersist,
  fact caching with smart gathering, facts not injected as variables);
- linear: the same with Ansible's own linear strategy (what Mitogen adds);
- stock: Ansible's defaults (forks 5, no pipelining, facts gathered every run,
  no cache), keeping only what security and the room need: the known_hosts and
  key that labctl verifies, the vault password, the roles path.

The times and the ratios are printed (--runs picks some of the runs: at 60 seats
the stock run alone takes most of an hour on two cores). The room is torn down
afterwards unless --keep or --reuse (measure on a room a previous benchmark left
up) is given.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from _room import cpu_now, cpu_split, each_room

from labctl.core import paths
from labctl.core.playbook import run_playbook

STOCK_CFG = f"""[defaults]
roles_path = {paths.PROJECT / 'roles'}
filter_plugins = {paths.PROJECT / 'plugins' / 'filter'}
host_key_checking = True
vault_password_file = {paths.PROJECT / 'inventory/demo.vault-pass'}
force_handlers = True

[ssh_connection]
ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=yes
"""


def timed(room, env=None) -> tuple[float, int, bool]:
    """(wall s, changed, succeeded); prints where the CPU went: Ansible (the controller:
    ansible-playbook, its workers and their ssh) and the rest, i.e. the seats."""
    t0, cpu0 = time.monotonic(), cpu_now()
    result = run_playbook(room.inventory, "site.yml", env=env)
    wall = time.monotonic() - t0
    tasks = sum(r.ok for r in result.recap.values())  # tasks that ran on a host (changed or not)
    print(f"  {wall:6.1f} s wall, {tasks} host-tasks run; "
          f"{cpu_split(cpu0, wall, tasks, 'host-task', seats=len(room.seats))}", flush=True)
    return wall, result.changed, result.succeeded


RUNS = ("tuned", "linear", "stock")


def measure(room, vroom, n: int, args) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".cfg") as f:
        f.write(STOCK_CFG)
        f.flush()
        envs = {"tuned": None, "linear": {"ANSIBLE_STRATEGY": "linear"},
                "stock": {"ANSIBLE_CONFIG": f.name}}
        runs = {}
        for name in args.runs:
            print(f"  {name}:", flush=True)
            runs[name] = timed(room, env=envs[name])
    good = all(r[2] and r[1] == 0 for r in runs.values())
    print(f"{'terminals':>9} {'hosts':>5} " + " ".join(f"{name + ' s':>9}" for name in runs)
          + f" {'changed':>9} {'ok':>3}")
    print(f"{n:>9} {len(room.seats):>5} " + " ".join(f"{r[0]:>9.1f}" for r in runs.values())
          + f" {'/'.join(str(r[1]) for r in runs.values()):>9} {'yes' if good else 'NO':>3}")
    if "tuned" in runs:
        for name in ("linear", "stock"):
            if name in runs:
                print(f"  {name}/tuned: {runs[name][0] / runs['tuned'][0]:.2f}x", flush=True)
    print("goal: 60 terminals in <= 60 s, and >= 3x faster than stock")
    if not good:
        raise SystemExit(f"{room.name}: a run failed or changed something")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", nargs="+", choices=RUNS, default=list(RUNS),
                        help="which runs to time (default: all three)")
    each_room(measure, parser)
