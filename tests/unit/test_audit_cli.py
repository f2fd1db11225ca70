"""`labctl audit`: the auditor lists and exports the audit log, by seat, action and time."""

import csv
import io
import json
import time

from labctl.cli import main
from labctl.core import audit, paths


def test_the_audit_log_is_listed_and_exported_by_seat_action_and_time(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "AUDIT_DB", tmp_path / "audit.sqlite")
    monkeypatch.setenv("SUDO_USER", "teacher1")
    audit.record_event("demo", "reset", "pc01", "ok", "profile: verified")
    audit.record_event("demo", "reset", "pc02", "failed", "profile: unreachable")
    audit.record_event("demo", "host key", "pc02", "ok", "SHA256:a -> SHA256:b")
    audit.record_event("other", "reset", "pc01", "ok")
    assert oct((tmp_path / "audit.sqlite").stat().st_mode & 0o777) == "0o600"

    assert main(["audit", "--format", "json", "--seat", "pc02"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["action"], r["outcome"]) for r in rows] == [("reset", "failed"), ("host key", "ok")]
    assert {r["user"] for r in rows} == {"teacher1"}, "the person behind sudo, not root"

    assert main(["audit", "--format", "csv", "--action", "reset"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["seat"], r["room"]) for r in table] == [("pc01", "demo"), ("pc02", "demo")]

    assert main(["audit", "--since", "1h"]) == 0
    assert "3 event(s) in room demo" in capsys.readouterr().out
    tomorrow = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    assert main(["audit", "--format", "json", "--since", tomorrow]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["audit", "--since", "last week"]) == 1
    assert "write YYYY-MM-DD" in capsys.readouterr().err
