"""A private MariaDB server on a unix socket: for tests, benchmarks and offline practice."""

from __future__ import annotations

import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

from labctl.coursedata.generate import CourseDataError
from labctl.i18n import _
from labseat.coursedata import Server


@contextmanager
def private_server(base: Path, buffer_pool: str = "256M"):
    """Start mariadbd with its own data directory under `base`; stop it afterwards."""
    datadir, sock, log = base / "data", base / "mysqld.sock", base / "error.log"
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={datadir}", "--user=root",
                    "--auth-root-authentication-method=normal", "--skip-test-db"],
                   check=True, capture_output=True)
    proc = subprocess.Popen(["mariadbd", "--no-defaults", f"--datadir={datadir}", f"--socket={sock}",
                             "--skip-networking", "--user=root", "--local-infile=1",
                             f"--innodb-buffer-pool-size={buffer_pool}",
                             "--innodb-flush-log-at-trx-commit=2", f"--log-error={log}"])
    try:
        deadline = time.monotonic() + 60
        while not sock.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise CourseDataError(_("the private MariaDB server did not start: see {log}", log=log))
            time.sleep(0.1)
        yield Server(user="root", unix_socket=str(sock))
    finally:
        proc.terminate()
        proc.wait(60)
