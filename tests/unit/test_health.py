"""Health probes: pure parsers, tested from outputs recorded on real seats and this host."""

from pathlib import Path

import pytest

from labctl.core import health
from labctl.core.health import Health
from labctl.core.power import magic_packet, parse_magic
from labctl.core.status import seat_state

RECORDED = Path(__file__).parent / "probes"


def recorded(name):
    return (RECORDED / name).read_text()


def test_a_container_seat():
    h = health.parse("it01", recorded("it01-container.txt"))
    assert h.state == "online" and h.host_figures
    assert h.memory == pytest.approx(5.3, abs=0.05) and h.disk == 38.0
    assert h.users == [] and h.uptime == pytest.approx(118.8), "the container's, not the host's"
    assert h.services == {"mariadb": "active", "ssh": "active"}
    assert h.boot_id == "a0b0df01-41dd-4c86-9c99-ad7fb70fa7d7"
    assert h.cpu is None, "no CPU figure from a single sample"


def test_a_logged_in_student_and_a_stopped_service():
    h = health.parse("it02", recorded("it02-student-mariadb-stopped.txt"))
    assert h.users == ["student"] and h.services["mariadb"] == "inactive"
    assert h.uptime == pytest.approx(120.2)


def test_cpu_is_the_busy_share_between_two_samples():
    before = health.parse_stat("cpu  100 0 100 700 100 0 0 0 0 0")
    after = health.parse_stat("cpu  150 0 150 750 150 0 0 0 0 0")
    assert health.cpu_percent(before, after) == 50.0
    assert health.cpu_percent(after, before) is None


def test_a_host_that_is_not_a_container():
    h = health.parse("admin", recorded("admin-host.txt"))
    assert h.services == {"mariadb": "unknown", "ssh": "unknown"} and not h.host_figures
    assert h.uptime == pytest.approx(14729.0) and h.disk == 38.0


@pytest.mark.parametrize("uptime, text", [(None, "-"), (59, "0m"), (3600 * 5 + 120, "5h02"),
                                          (3600 * 72, "3d")])
def test_uptime_for_people(uptime, text):
    assert health.human_uptime(uptime) == text


@pytest.mark.parametrize("state, powered, busy, check, users, expected", [
    ("online", True, "", None, [], "online"),
    ("online", True, "", None, ["student"], "student"),
    ("online", True, "", {"failed": ["LAB-WEB-02"]}, ["student"], "non-compliant"),
    ("unreachable", True, "", None, [], "unreachable"),
    ("unreachable", False, "", None, [], "offline"),
    ("online", True, "reset", None, [], "resetting"),
    ("unreachable", None, "", None, [], "unreachable"),
])
def test_one_state_per_seat_most_urgent_first(state, powered, busy, check, users, expected):
    assert seat_state(Health("pc01", state, users=users), powered, busy, check) == expected


def test_magic_packets_round_trip():
    packet = magic_packet("52:54:00:77:01:01")
    assert len(packet) == 102 and packet[:6] == b"\xff" * 6
    assert parse_magic(b"junk" + packet) == "52:54:00:77:01:01"
    assert parse_magic(packet[:-1]) is None
    assert parse_magic(b"\xff" * 6 + bytes(range(6)) * 15 + bytes(6)) is None


def test_a_windows_seat():
    # Written from ConvertTo-Json's documented form, not recorded: no Windows host runs here.
    h = health.parse_windows("r3s1", recorded("windows-sample.json"))
    assert h.cpu == 7 and h.memory == pytest.approx(40.4, abs=0.05)
    assert h.disk == pytest.approx(33.0, abs=0.05) and h.users == ["student"]
    assert h.services == {"mariadb": "active", "sshd": "active"} and h.uptime == 5421.7


DF_FULL_HOME = """Filesystem     1024-blocks   Used Available Capacity Mounted on
overlay           263174212 23412 226300000      10% /
overlay           263174212 23412 226300000      10% /
tmpfs                   256    256         0     100% /home/student
overlay           263174212 23412 226300000      10% /
"""


def test_every_filesystem_a_student_can_fill_is_read_and_a_full_one_named():
    from labctl.core.health import Health, full, fullest, parse_filesystems
    fs = parse_filesystems(DF_FULL_HOME)
    assert fs == {"/": 10.0, "/home/student": 100.0}
    h = Health("it04", "online", disk=fs["/"], filesystems=fs)
    assert full(h) == ["/home/student"] and fullest(h) == ("/home/student", 100.0)
    from labctl.core.status import seat_state
    assert seat_state(h, True, "", None) == "disk full"


def test_the_probe_agent_reads_what_the_shell_probe_reads():
    """The agent the pool keeps on each seat and the shell probe, run here on this host: the
    same parser reads both to the same figures, newline after newline (one answer each)."""
    import subprocess
    shell = health.parse("here", subprocess.run(["sh", "-c", health.PROBE], capture_output=True,
                                                text=True, check=True).stdout)
    agent = subprocess.run(["sh", "-c", health.AGENT_COMMAND], input="\n\n", capture_output=True,
                           text=True, timeout=30)
    assert agent.returncode == 0 and agent.stderr == ""
    answers = agent.stdout.split(health.END + "\n")
    assert len(answers) == 3 and answers[2] == "", "one answer a newline, then the end on EOF"
    for answer in answers[:2]:
        h = health.parse("here", answer)
        assert h.boot_id == shell.boot_id and h.host_figures == shell.host_figures
        assert h.users == shell.users and h.services == shell.services
        assert h.filesystems.keys() == shell.filesystems.keys()
        assert all(abs(h.filesystems[m] - shell.filesystems[m]) <= 1 for m in h.filesystems)
        assert h.memory == pytest.approx(shell.memory, abs=2)
        assert h.uptime == pytest.approx(shell.uptime, abs=5)
