"""`--json` answers: each command's object has exactly the keys docs/cli.md documents, and
a refused command answers in JSON too (exit 2, each problem with file, host, variable,
message and fix), so a script never has to read English."""

import json
import re
from pathlib import Path

from labctl.cli import main
from labctl.core import paths

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
UNIT = Path(__file__).resolve().parent


def documented(label: str) -> set[str]:
    """The keys docs/cli.md lists after `label` (e.g. "`labctl validate --json` keys:")."""
    text = DOC.read_text()
    block = text[text.index(label):]
    line = block.splitlines()[0]
    return set(re.findall(r'"(\w+)"', line))


def test_validate_answers_with_the_documented_keys(capsys):
    assert main(["validate", "--json", "-i", str(paths.DEFAULT_INVENTORY)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert set(answer) == documented("`labctl validate --json` keys:")
    assert answer["ok"] is True and answer["problems"] == [] and answer["terminals"] == 12


def test_a_bad_inventory_is_answered_in_json_with_every_problem(capsys):
    code = main(["validate", "--json", "-i", str(UNIT / "inventories" / "dup_mac")])
    out = capsys.readouterr().out
    assert code == 2
    answer = json.loads(out)  # stdout holds the JSON answer alone
    assert set(answer) == documented("refused `--json` keys:")
    assert answer["ok"] is False and answer["error"] == "InventoryError"
    (problem,) = answer["problems"]
    assert problem == {"file": problem["file"], "host": "pc03", "variable": "lab_mac",
                       "message": "duplicate MAC aa:bb:cc:00:00:01, also on pc01",
                       "fix": "give every host its own MAC"}
    assert problem["file"].endswith("dup_mac/hosts.yml")
