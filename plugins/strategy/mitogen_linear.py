"""Mitogen's linear strategy, from the mitogen package in labctl's Python environment.

ansible.cfg names this directory (strategy_plugins) so the setting works wherever the
environment is installed, without a site-packages path in the config. Mitogen keeps
one Python interpreter per host for the whole run instead of starting one per task;
connections are still OpenSSH with ansible.cfg's ssh_args (labctl's known_hosts,
StrictHostKeyChecking=yes), and sudo for become.

Ansible forks a worker for every task of every host. Each worker's garbage collector
would walk, and so copy page by page, every object the run has loaded (ansible-core, the
plugins, the play, the inventory): a play's objects are frozen out of the collector's
reach when it starts, as Python's gc.freeze() documents for a process that forks without
exec. A terminal's no-op run costs its seat about a third less CPU (docs/pull.md).
"""

import gc

from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule as _Mitogen


class StrategyModule(_Mitogen):
    def run(self, iterator, play_context, *args, **kwargs):
        gc.freeze()  # once a play: what is made during it is still collected as usual
        return super().run(iterator, play_context, *args, **kwargs)
