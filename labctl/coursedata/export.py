"""Export the generated shop for the course's spreadsheet exercises."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

from labctl.coursedata.generate import NULL, CourseDataError
from labctl.i18n import _

EXCEL_ROWS = 1_048_575  # one sheet's limit, below the header


def export(data: Path, out: Path, fmt: str) -> Path:
    data, out = Path(data), Path(out)
    files = sorted(data.glob("*.csv"))
    if not files:
        raise CourseDataError(_("{data}: no CSV files: generate the data first (`labctl "
                                "coursedata generate --out DIR`)", data=data))
    if fmt == "csv":
        # UTF-8 with a BOM, so that Excel and WPS open the Chinese text correctly
        out.mkdir(parents=True, exist_ok=True)
        for f in files:
            with open(f, encoding="utf-8") as src, open(out / f.name, "w", encoding="utf-8-sig",
                                                        newline="") as dst:
                shutil.copyfileobj(src, dst)
        return out
    if fmt == "xlsx":
        import openpyxl
        book = openpyxl.Workbook(write_only=True)
        for f in files:
            sheet = book.create_sheet(f.stem[:31])
            with open(f, encoding="utf-8") as src:
                for n, row in enumerate(csv.reader(src)):
                    if n > EXCEL_ROWS:
                        break
                    sheet.append([None if v == NULL else _number(v) for v in row] if n else row)
        out.parent.mkdir(parents=True, exist_ok=True)
        book.save(out)
        return out
    raise CourseDataError(_("unknown format {format}: use csv or xlsx", format=repr(fmt)))


def _number(value: str):
    try:
        return int(value)
    except ValueError:
        try:
            return float(value) if value.replace(".", "", 1).lstrip("-").isdigit() else value
        except ValueError:
            return value
