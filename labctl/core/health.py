"""A seat's health: one command per poll, and pure parsers of its output.

The probe runs a single shell command on the seat (one round trip on a pooled
connection) whose sections are separated by a marker; each section has a pure
parser tested from recorded outputs. In the virtual room /proc is the host's, so
CPU and memory are the machine's figures: `Health.host_figures` says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MARK = "--labctl--"
SECTIONS = ("files", "df", "who", "services")
# Few processes on purpose: in the virtual room 60 seats share the admin host's CPUs.
# grep -H -m3 prints "file:line" for the first lines of each file in one process.
FILES = ("/proc/stat", "/proc/meminfo", "/proc/uptime", "/proc/1/stat",
         "/proc/sys/kernel/random/boot_id", "/run/systemd/container")
PROBE = f"; echo {MARK}; ".join([
    "grep -H -m3 '' " + " ".join(FILES) + " 2>/dev/null",
    "df -P / /tmp /home/* 2>/dev/null",  # every filesystem a student can fill
    "who",
    "systemctl is-active mariadb ssh 2>/dev/null || true",
])
SERVICES = ("mariadb", "ssh")
END = "--labctl-end--"
# The same probe as a small program that stays running on the seat, on one channel of the
# pool's open connection: each newline it reads is one probe, answered in PROBE's format
# (the same parser) and closed by END. It reads the files and utmp and asks statvfs itself,
# so a probe starts one process on the seat (systemctl) instead of five, and the admin host
# sends one line and reads one answer instead of opening a channel. Fixed text, no input
# but newlines; Python 3.5 or later (any Debian an Ansible-managed seat runs).
AGENT = r"""
import glob, os, re, struct, subprocess, sys
FILES = %(files)r
MARK, END, SERVICES = %(mark)r, %(end)r, %(services)r
def files():
    out = []
    for name in FILES:
        try:
            with open(name, errors="replace") as f:
                for i, line in zip(range(3), f):
                    out.append(name + ":" + line.rstrip("\n"))
        except OSError:
            pass
    return out
def mounts():
    found = []
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mount = line.split()[:2]
            found.append((re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), mount), dev))
    return found
def df():
    table, out = mounts(), ["Filesystem 1024-blocks Used Available Capacity Mounted on"]
    for path in ["/", "/tmp"] + sorted(glob.glob("/home/*")):
        try:
            real, st = os.path.realpath(path), os.statvfs(path)
        except OSError:
            continue
        mount, dev = max(((m, d) for m, d in table if real == m or real.startswith(m.rstrip("/") + "/")),
                         key=lambda md: len(md[0]))
        used = (st.f_blocks - st.f_bfree) * st.f_frsize
        avail = st.f_bavail * st.f_frsize
        pct = -(-100 * used // (used + avail)) if used + avail else 0
        out.append("%%s %%d %%d %%d %%d%%%% %%s" %% (dev, st.f_blocks * st.f_frsize // 1024,
                   used // 1024, avail // 1024, pct, mount))
    return out
def who():
    out = []
    try:
        with open("/run/utmp", "rb") as f:
            data = f.read()
    except OSError:
        return out
    for at in range(0, len(data) - 383, 384):
        kind = struct.unpack_from("<h", data, at)[0]
        line = data[at + 8:at + 40].split(b"\0")[0].decode(errors="replace")
        user = data[at + 44:at + 76].split(b"\0")[0].decode(errors="replace")
        if kind == 7 and user:
            out.append(user + " " + line)
    return out
def services():
    try:
        return subprocess.run(["systemctl", "is-active"] + list(SERVICES), stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=5).stdout.decode().split()
    except Exception:
        return []
while sys.stdin.readline():
    parts = []
    for section in (files, df, who, services):
        try:
            parts.append("".join(x + "\n" for x in section()))
        except Exception as exc:
            parts.append("")
            sys.stderr.write("%%s: %%r\n" %% (section.__name__, exc))
    sys.stdout.write((MARK + "\n").join(parts) + END + "\n")
    sys.stdout.flush()
""" % {"files": FILES, "mark": MARK, "end": END, "services": SERVICES}
AGENT_COMMAND = "exec python3 -I -c '%s'" % AGENT.replace("'", "'\\''")
FULL = 95.0  # percent: a filesystem this full shows the seat as "disk full"


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
    filesystems: dict[str, float] = field(default_factory=dict)  # mount -> percent used
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
    """Percent used of the first filesystem listed (the root's)."""
    return next(iter(parse_filesystems(text).values()))


def parse_filesystems(text: str) -> dict[str, float]:
    """mount point -> percent used, in the order `df -P` lists them (a filesystem listed for
    several paths once)."""
    out: dict[str, float] = {}
    for line in text.strip().splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 6 and fields[4].endswith("%"):
            out.setdefault(" ".join(fields[5:]), float(fields[4].rstrip("%")))
    return out


def parse_who(text: str) -> list[str]:
    return sorted({line.split()[0] for line in text.splitlines() if line.strip()})


def parse_services(text: str) -> dict[str, str]:
    states = text.split()
    return {name: states[i] if i < len(states) else "unknown" for i, name in enumerate(SERVICES)}


def parse_files(text: str) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        files.setdefault(name, []).append(value)
    return files


def seat_uptime(uptime: str, pid1_stat: str, hz: int = 100) -> float:
    """Seconds since the seat's PID 1 started: the machine's uptime minus PID 1's start
    (field 22 of /proc/1/stat, in clock ticks since boot); in a container, the container's."""
    start_ticks = int(pid1_stat.rsplit(")", 1)[1].split()[19])
    return round(float(uptime.split()[0]) - start_ticks / hz, 1)


def parse(seat: str, output: str, previous: CpuSample | None = None) -> Health:
    """The Health of a seat from one probe's output."""
    s = split(output)
    f = parse_files(s["files"])
    sample = parse_stat(f["/proc/stat"][0])
    filesystems = parse_filesystems(s["df"])
    return Health(seat=seat, state="online", cpu=cpu_percent(previous, sample),
                  memory=parse_meminfo("\n".join(f["/proc/meminfo"])),
                  disk=filesystems.get("/", next(iter(filesystems.values()), None)),
                  filesystems=filesystems,
                  users=parse_who(s["who"]),
                  uptime=seat_uptime(f["/proc/uptime"][0], f["/proc/1/stat"][0]),
                  services=parse_services(s["services"]),
                  boot_id=f["/proc/sys/kernel/random/boot_id"][0].strip(),
                  host_figures=bool(f.get("/run/systemd/container")), cpu_sample=sample)


def full(health: Health) -> list[str]:
    """The filesystems a student can fill that are (nearly) full: writes there fail."""
    return [mount for mount, used in health.filesystems.items() if used >= FULL]


def fullest(health: Health) -> tuple[str, float] | None:
    """(mount, percent) of the fullest filesystem, for a one-figure display."""
    if not health.filesystems:
        return ("/", health.disk) if health.disk is not None else None
    return max(health.filesystems.items(), key=lambda item: item[1])


def human_uptime(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}" if hours < 48 else f"{hours // 24}d"


# Windows seats, over their OpenSSH server (key-only, host key verified like the others):
# one PowerShell command that prints one JSON object.
PROBE_WINDOWS = (
    "powershell -NoProfile -NonInteractive -Command \""
    "$os = Get-CimInstance Win32_OperatingSystem; "
    "$d = Get-CimInstance Win32_LogicalDisk -Filter \\\"DeviceID='C:'\\\"; "
    "$u = @(quser 2>$null | Select-Object -Skip 1 | ForEach-Object { ($_.Trim() -split '\\s+')[0].TrimStart('>') }); "
    "$s = @(Get-Service MySQL*, sshd -ErrorAction SilentlyContinue | ForEach-Object { @{ name = $_.Name; status = [string]$_.Status } }); "
    "$f = Get-CimInstance -Namespace root\\standardcimv2\\embedded -ClassName UWF_Filter -ErrorAction SilentlyContinue; "
    "[pscustomobject]@{ cpu = (Get-CimInstance Win32_Processor | Measure-Object LoadPercentage -Average).Average; "
    "mem_total = $os.TotalVisibleMemorySize; mem_free = $os.FreePhysicalMemory; "
    "disk_size = $d.Size; disk_free = $d.FreeSpace; users = $u; services = $s; "
    "uptime = ((Get-Date) - $os.LastBootUpTime).TotalSeconds; uwf = [bool]$f.CurrentEnabled } "
    "| ConvertTo-Json -Compress -Depth 3\"")


def parse_windows(seat: str, output: str) -> Health:
    """The Health of a Windows seat from PROBE_WINDOWS's JSON."""
    import json
    data = json.loads(output.strip().splitlines()[-1])
    services = {}
    for svc in data.get("services") or []:
        name = "mariadb" if svc["name"].lower().startswith("mysql") else svc["name"]
        services[name] = "active" if svc["status"] == "Running" else svc["status"].lower()
    users = data.get("users") or []
    return Health(seat=seat, state="online", cpu=data.get("cpu"),
                  memory=round(100.0 * (1 - data["mem_free"] / data["mem_total"]), 1),
                  disk=round(100.0 * (1 - data["disk_free"] / data["disk_size"]), 1),
                  users=sorted(set(users if isinstance(users, list) else [users])),
                  uptime=round(float(data["uptime"]), 1), services=services)
