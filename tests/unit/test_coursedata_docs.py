"""docs/coursedata.md documents every table and column of the schema."""

import re
from pathlib import Path

from labctl.coursedata.generate import generate
from labseat.coursedata import SCHEMA, tables

DOC = (Path(__file__).resolve().parents[2] / "docs" / "coursedata.md").read_text(encoding="utf-8")


def test_every_table_and_column_is_documented():
    schema = SCHEMA.read_text(encoding="utf-8")
    for m in re.finditer(r"CREATE TABLE (\w+) \((.*?)\n\) COMMENT", schema, re.S):
        table, body = m.groups()
        assert f"### `{table}`" in DOC, table
        section = DOC.split(f"### `{table}`")[1].split("###")[0]
        for column in re.findall(r"^\s+(\w+)\s+[A-Z]", body, re.M):
            if column not in ("PRIMARY", "KEY", "FOREIGN"):
                assert f"| `{column}` |" in section, f"{table}.{column}"


def test_generated_columns_match_the_schema(tmp_path):
    manifest = generate(tmp_path, seed=1, scale=0.002)
    schema = SCHEMA.read_text(encoding="utf-8")
    assert set(manifest.tables) == set(tables())
    for table in tables():
        body = re.search(rf"CREATE TABLE {table} \((.*?)\n\) COMMENT", schema, re.S).group(1)
        columns = [c for c in re.findall(r"^\s+(\w+)\s+[A-Z]", body, re.M)
                   if c not in ("PRIMARY", "KEY", "FOREIGN")]
        header = (tmp_path / f"{table}.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == columns, table
