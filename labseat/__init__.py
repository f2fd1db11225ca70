"""labseat: the code that runs on the room's seats, shipped there by the lab_seatlib role.

- `labseat.reset`: lab-reset, the one implementation of a terminal's reset and its proof
  (`/usr/local/sbin/lab-reset` runs it; playbooks/reset.yml and `labctl reset` call that);
- `labseat.coursedata`: the course database's bulk load, per-student clone, checksum and
  fingerprint (`python3 -I -m labseat.coursedata load|clone|checksum`), with its schema.

It needs Python's standard library only (and pymysql, imported when a database is
touched): a seat runs it with Debian's python3, without labctl. labctl imports the same
modules on the admin host (`labctl coursedata load`, the tests), so there is one copy of
each. The lab_seatlib role copies this directory into the seat Python's dist-packages, a
root-owned directory; nothing is found by path at run time.
"""
