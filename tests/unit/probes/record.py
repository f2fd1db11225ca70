"""Record the health probe's output on the virtual test room (provisioned), for the
parsers' tests: `sudo .venv/bin/python tests/unit/probes/record.py`.

it01-container.txt: a terminal as it is; it02-student-mariadb-stopped.txt: a student
logged in over SSH and MariaDB stopped (both undone afterwards); admin-host.txt: this
machine, which is not a container.
"""

import subprocess
import sys
import time
from pathlib import Path

import paramiko

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2]))

from labctl.core.health import PROBE  # noqa: E402
from labctl.core.inventory import load_room  # noqa: E402
from labctl.core.ssh import Connector, run  # noqa: E402

room = load_room(HERE.parents[1] / "integration" / "inventory")
admin = Connector.for_room(room)
(HERE / "admin-host.txt").write_text(subprocess.run(["sh", "-c", PROBE], capture_output=True,
                                                    text=True).stdout)
it01 = admin.connect("it01", str(room.seat("it01").ip))
(HERE / "it01-container.txt").write_text(run(it01, PROBE).stdout)
seat = room.seat("it02")
it02 = admin.connect(seat.name, str(seat.ip))
run(it02, "sudo install -d -m 700 -o student -g student /home/student/.ssh && sudo install -m 600 "
          "-o student -g student /home/labadmin/.ssh/authorized_keys /home/student/.ssh/ && "
          "sudo systemctl stop mariadb")
student = paramiko.SSHClient()
student.load_host_keys(str(room.state.known_hosts))
student.set_missing_host_key_policy(paramiko.RejectPolicy())
student.connect(str(seat.ip), username="student", key_filename=str(room.state.admin_key),
                allow_agent=False, look_for_keys=False)
student.invoke_shell()
time.sleep(1)
(HERE / "it02-student-mariadb-stopped.txt").write_text(run(it02, PROBE).stdout)
student.close()
run(it02, "sudo systemctl start mariadb; sudo rm -rf /home/student/.ssh")
