"""A seat's health: one command per poll, and pure parsers of its output.

The probe runs a single shell command on the seat (one round trip on a pooled
connection) whose sections are separated by a marker; each section has a pure
parser tested from recorded outputs. In the virtual room /proc is the host's, so
CPU and memory are the machine's figures: `Health.host_figures` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MARK = "--labctl--"
SECTIONS = ("stat", "meminfo", "df", "who", "uptime", "services", "boot", "virt")
PROBE = f"; echo {MARK}; ".join([
    "head -1 /proc/stat",
    "grep -E '^(MemTotal|MemAvailable):' /proc/meminfo",
    "df -P /",
    "who",
    "ps -o etimes= -p 1",  # since PID 1 started: the seat's own uptime, in a container too
    "systemctl is-active mariadb ssh 2>/dev/null || true",
    "cat /proc/sys/kernel/random/boot_id",
    "systemd-detect-virt -c 2>/dev/null || true",
])
SERVICES = ("mariadb", "ssh")


@dataclass(frozen=True)
class CpuSample:
    busy: int
    total: int


@dataclass
class Health:
    """What the console shows for one seat; state: online, unreachable, offline."""

    seat: str
    state: str
    cpu: float | None = None        # percent busy since the last sample
    memory: float | None = None     # percent used
    disk: float | None = None       # percent of / used
    users: list[str] = field(default_factory=list)
    uptime: float | None = None     # seconds
    services: dict[str, str] = field(default_factory=dict)
    boot_id: str = ""
    host_figures: bool = False      # CPU and memory are the host's (a container)
    latency: float | None = None    # seconds the probe took
    error: str = ""
    cpu_sample: CpuSample | None = None


def split(output: str) -> dict[str, str]:
    parts = output.split(MARK + "\n")
    return {name: parts[i] if i < len(parts) else "" for i, name in enumerate(SECTIONS)}


def parse_stat(text: str) -> CpuSample:
    fields = [int(x) for x in text.split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return CpuSample(busy=sum(fields) - idle, total=sum(fields))


def cpu_percent(before: CpuSample | None, after: CpuSample) -> float | None:
    if before is None or after.total <= before.total:
        return None
    return round(100.0 * (after.busy - before.busy) / (after.total - before.total), 1)


def parse_meminfo(text: str) -> float:
    values = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines() if ":" in line}
    return round(100.0 * (1 - values["MemAvailable"] / values["MemTotal"]), 1)


def parse_df(text: str) -> float:
    line = text.strip().splitlines()[-1].split()
    return float(line[4].rstrip("%"))


def parse_who(text: str) -> list[str]:
    return sorted({line.split()[0] for line in text.splitlines() if line.strip()})


def parse_uptime(text: str) -> float:
    return float(text.split()[0])


def parse_services(text: str) -> dict[str, str]:
    states = text.split()
    return {name: states[i] if i < len(states) else "unknown" for i, name in enumerate(SERVICES)}


def parse(seat: str, output: str, previous: CpuSample | None = None) -> Health:
    """The Health of a seat from one probe's output."""
    s = split(output)
    sample = parse_stat(s["stat"])
    return Health(seat=seat, state="online", cpu=cpu_percent(previous, sample),
                  memory=parse_meminfo(s["meminfo"]), disk=parse_df(s["df"]),
                  users=parse_who(s["who"]), uptime=parse_uptime(s["uptime"]),
                  services=parse_services(s["services"]), boot_id=s["boot"].strip(),
                  host_figures=s["virt"].strip() not in ("", "none"), cpu_sample=sample)


def human_uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}" if hours < 48 else f"{hours // 24}d"
