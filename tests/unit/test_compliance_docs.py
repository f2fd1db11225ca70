"""The compliance controls in the suite and in docs/compliance.md are the same set."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_control_is_documented_and_every_documented_control_exists():
    suite = set()
    for test in (ROOT / "tests" / "compliance").glob("test_*.py"):
        suite |= set(re.findall(r'mark\.control\("(LAB-[A-Z-]+-\d+)"\)', test.read_text()))
    suite |= set(re.findall(r'"(LAB-[A-Z-]+-\d+)"', (ROOT / "labctl" / "core" / "check.py").read_text()))
    table = set(re.findall(r"^\| (LAB-[A-Z-]+-\d+) \|", (ROOT / "docs" / "compliance.md").read_text(),
                           re.M))
    assert suite, "no controls found"
    assert suite == table, f"in the suite only: {sorted(suite - table)}; in the docs only: {sorted(table - suite)}"
