"""Projectors in the inventory: `labctl validate` refuses a bad `lab_projectors` entry with
one line per problem (the live projector tests are tests/integration/test_projector.py)."""

import shutil

import yaml

from labctl.cli import main
from labctl.core import paths


def test_bad_projector_entries_are_refused_before_anything(tmp_path, capsys):
    inv = tmp_path / "demo"
    shutil.copytree(paths.DEFAULT_INVENTORY, inv, symlinks=True)
    shutil.copy(paths.DEMO_VAULT_PASSWORD, tmp_path / "demo.vault-pass")
    (inv / "group_vars" / "all" / "projectors.yml").write_text(yaml.safe_dump({"lab_projectors": [
        {"name": "proj 1; reboot", "address": "10.77.0.60"},
        {"name": "proj2", "address": "10.77.0.999"},
        {"name": "proj3", "address": "10.77.0.62", "port": 99999},
        {"name": "proj4", "address": "10.77.0.63", "command": "rm -rf /"}]}))
    assert main(["validate", "-i", str(inv)]) == 2
    err = capsys.readouterr().err
    assert "lab_projectors: item 1: 'proj 1; reboot' is not a projector name" in err
    assert "lab_projectors: item 2: '10.77.0.999' is not an IPv4 address" in err
    assert "lab_projectors: item 3: port 99999 is not a TCP port" in err
    assert "lab_projectors: item 4 is not {name, address[, port]}" in err
    assert err.count("lab_projectors") == 4, "once each, not once per host"


def test_good_projector_entries_pass(tmp_path):
    inv = tmp_path / "demo"
    shutil.copytree(paths.DEFAULT_INVENTORY, inv, symlinks=True)
    shutil.copy(paths.DEMO_VAULT_PASSWORD, tmp_path / "demo.vault-pass")
    (inv / "group_vars" / "all" / "projectors.yml").write_text(yaml.safe_dump(
        {"lab_projectors": [{"name": "proj1", "address": "10.77.0.60"}]}))
    assert main(["validate", "-i", str(inv)]) == 0
