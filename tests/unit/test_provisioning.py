"""The provisioning action's own bookkeeping: how many host-tasks each kind of run had."""

import multiprocessing
from pathlib import Path

from labctl.core import paths
from labctl.core.provisioning import RunCounts


def _put(state_dir: str, key: str) -> None:
    RunCounts(paths.RoomState(Path(state_dir))).put(key, 7)


def test_runs_finishing_at_once_each_keep_their_count(tmp_path):
    """The console's run and a typed one end together: neither count is lost, and no
    half-written file or stray temporary file is left."""
    keys = [f"site.yml pc{i:02d} apply" for i in range(24)]
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_put, args=(str(tmp_path), k)) for k in keys]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    runs = RunCounts(paths.RoomState(tmp_path))
    assert {k: runs.get(k) for k in keys} == {k: 7 for k in keys}
    assert sorted(f.name for f in tmp_path.iterdir()) == ["runs.json", "runs.lock"]


def test_a_state_directory_that_cannot_be_written_gives_no_estimate(tmp_path):
    runs = RunCounts(paths.RoomState(tmp_path / "gone"))
    runs.put("site.yml - apply", 5)  # no error: the next run has no total, nothing else
    assert runs.get("site.yml - apply") is None
