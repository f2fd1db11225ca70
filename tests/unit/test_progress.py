"""Long commands show what is done of how much and the time left, on a terminal only."""

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

LABCTL = [sys.executable, "-m", "labctl"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _on_a_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run labctl with standard error on a pseudo-terminal (as a technician's shell has it);
    standard output stays a pipe."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(LABCTL + args, stdout=subprocess.PIPE, stderr=slave,
                            env={**os.environ, "COLUMNS": "120", "TERM": "xterm"})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode()
    proc.wait()
    os.close(master)
    return proc.returncode, out, ANSI.sub("", b"".join(chunks).decode(errors="replace"))


def test_generation_shows_the_orders_done_of_all_and_the_time_left(tmp_path):
    rc, out, terminal = _on_a_terminal(["coursedata", "generate", "--scale", "tiny",
                                        "--out", str(tmp_path / "data")])
    assert rc == 0, terminal
    # the orders (most of the work) done of all; a fast run may draw only the last states
    done = [(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+)", terminal)]
    assert done and all(b == done[0][1] for _, b in done), terminal[-2000:]
    assert max(a for a, _ in done) == done[0][1]      # it reaches the total
    assert re.search(r"left\s+\d+:\d\d:\d\d", terminal)  # and says the time left
    assert "orders" in out and "written to" in out    # the answer itself on standard output
    assert "left" not in out


def test_in_chinese_and_never_when_not_on_a_terminal(tmp_path):
    rc, _out, terminal = _on_a_terminal(["--lang", "zh_CN", "coursedata", "generate", "--scale",
                                         "tiny", "--out", str(tmp_path / "zh")])
    assert rc == 0 and "正在生成" in terminal and "剩余" in terminal, terminal[-2000:]
    plain = subprocess.run(LABCTL + ["coursedata", "generate", "--scale", "tiny",
                                     "--out", str(tmp_path / "plain")],
                           capture_output=True, text=True)
    assert plain.returncode == 0 and plain.stderr == "", plain.stderr
    assert (Path(tmp_path / "plain") / "manifest.json").exists()
