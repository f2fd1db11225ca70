"""Mitogen's linear strategy, from the mitogen package in labctl's Python environment.

ansible.cfg names this directory (strategy_plugins) so the setting works wherever the
environment is installed, without a site-packages path in the config. Mitogen keeps
one Python interpreter per host for the whole run instead of starting one per task;
connections are still OpenSSH with ansible.cfg's ssh_args (labctl's known_hosts,
StrictHostKeyChecking=yes), and sudo for become.
"""

from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule  # noqa: F401
