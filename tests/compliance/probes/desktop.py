"""The courses' tools, run as a student on the seat with the student's own database.

Sent over SSH by the compliance suite and run as the student (sudo -u STUDENT -H), with the
student's database password on the first line of standard input and this program after it:

    sh -c 'IFS= read -r P; LAB_DB_PASSWORD="$P" exec python3 - ACTION'

ACTION is one of session, spreadsheet, notebook, csharp. Prints one JSON object: what the
tool gave and what SQL gives for the same question (or an error). Everything it makes is
in a temporary directory removed before it exits; the student's own files (their
LibreOffice profile, their notebooks) are not touched.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

SOCKET = "/run/mysqld/mysqld.sock"
# the question every tool answers: how many orders were paid, and for how much in all
SQL = "SELECT COUNT(*), COALESCE(SUM(pay_amount), 0) FROM orders WHERE status = 'paid'"
# the course's xlsx export on a terminal (roles/lab_coursedata/vars/main.yml)
WORKBOOK = "/usr/local/share/lab-coursedata/shop.xlsx"


def student() -> str:
    return os.environ.get("USER") or os.environ["LOGNAME"]


def connect():
    import pymysql
    return pymysql.connect(unix_socket=SOCKET, user=student(),
                           password=os.environ["LAB_DB_PASSWORD"],
                           database=f"{student()}_shop", charset="utf8mb4")


def by_sql() -> list:
    with connect() as conn, conn.cursor() as cur:
        cur.execute(SQL)
        n, total = cur.fetchone()
    return [int(n), f"{total:.2f}"]


def session(tmp: str) -> dict:
    """The default session (Xfce) on a virtual screen, started as LightDM starts it (through
    Debian's /etc/X11/Xsession, which runs im-config and the room's language script): its
    window manager comes up in the room's language, the toolkits are pointed at fcitx5,
    and fcitx5 has the room's engines loaded (pinyin among them) and the user's group of
    input methods from the room's profile."""
    script = r"""
ask() { dbus-send --session --print-reply --dest=org.fcitx.Fcitx5 /controller \
        "org.fcitx.Fcitx.Controller1.$1" $2 2>/dev/null | grep -o 'string "[a-z0-9-]*"' | tr '\n' ' '; }
/etc/X11/Xsession xfce4-session >"$T/session.log" 2>&1 </dev/null &
session=$!
for i in $(seq 80); do
    if xprop -root _NET_SUPPORTING_WM_CHECK 2>/dev/null | grep -q 'window id' \
       && fcitx5-remote >/dev/null 2>&1; then break; fi
    sleep 0.25
done
echo "wm=$(xprop -root _NET_SUPPORTING_WM_CHECK 2>/dev/null | grep -c 'window id')"
echo "available=$(ask AvailableInputMethods)"
echo "group=$(ask InputMethodGroupInfo string:Default)"
echo "lang=$(tr '\0' '\n' < /proc/$(pgrep -n -u "$(id -u)" -x xfce4-session)/environ | grep '^LANG=' | cut -d= -f2)"
echo "gtk_im=$(tr '\0' '\n' < /proc/$(pgrep -n -u "$(id -u)" -x xfce4-session)/environ | grep '^GTK_IM_MODULE=' | cut -d= -f2)"
xfce4-session-logout --logout --fast >/dev/null 2>&1 </dev/null &
sleep 1
kill "$session" 2>/dev/null
"""
    env = {**os.environ, "T": tmp, "HOME": tmp}  # a session's settings in a throwaway home
    env.pop("LANG", None)  # as a login manager starts it: the room's language by default
    proc = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1024x768x24", "dbus-run-session",
                           "--", "sh", "-c", script],
                          capture_output=True, text=True, timeout=90, env=env,
                          stdin=subprocess.DEVNULL)

    def names(key):
        return [w.strip('"') for w in got.get(key, "").split() if w != "string"]

    got = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    return {"window_manager": got.get("wm") == "1", "engines": sorted(set(names("available"))
                                                                      & {"pinyin", "keyboard-us"}),
            "group": [n for n in names("group") if n], "language": got.get("lang", ""),
            "gtk_im_module": got.get("gtk_im", ""),
            "rc": proc.returncode}


def spreadsheet(tmp: str, workbook: str = WORKBOOK) -> dict:
    """The course's workbook on the seat (lab_coursedata ships `labctl coursedata export`'s
    xlsx there, and the desktop's spreadsheet launcher opens it), opened by LibreOffice
    Calc headless, its orders sheet saved as CSV: the paid orders' count and total against
    SQL on the student's own database, a copy of the same data."""
    import csv
    import re
    import zipfile
    with zipfile.ZipFile(workbook) as book:  # the sheets in their order, without loading them
        names = re.findall(r'<sheet [^>]*name="([^"]+)"', book.read("xl/workbook.xml").decode())
    if "orders" not in names:
        return {"error": f"{workbook} has no orders sheet: {names}"}
    options = f"44,34,76,1,,0,false,true,false,false,false,{names.index('orders') + 1}"
    proc = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp}/profile", "--headless",
                           "--convert-to", f"csv:Text - txt - csv (StarCalc):{options}",
                           "--outdir", tmp, workbook],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    stem = os.path.splitext(os.path.basename(workbook))[0]
    try:
        with open(f"{tmp}/{stem}-orders.csv", encoding="utf-8", newline="") as f:
            paid = [r for r in csv.DictReader(f) if r["status"] == "paid"]
    except (OSError, KeyError):
        return {"error": f"LibreOffice wrote no orders CSV: {proc.stderr[-300:]}"}
    return {"tool": [len(paid), f"{sum(float(r['pay_amount']) for r in paid):.2f}"],
            "sql": by_sql()}


def notebook(tmp: str) -> dict:
    """A notebook that reads the student's database with pandas, run headless by nbconvert."""
    import nbformat
    cells = [nbformat.v4.new_code_cell(
        "import os, warnings, pandas as pd, pymysql\n"
        "warnings.simplefilter('ignore')  # pandas' advice to use SQLAlchemy, on stderr\n"
        f"conn = pymysql.connect(unix_socket={SOCKET!r}, user=os.environ['USER'], "
        "password=os.environ['LAB_DB_PASSWORD'], database=os.environ['USER'] + '_shop')\n"
        "orders = pd.read_sql(\"SELECT status, pay_amount FROM orders\", conn)\n"
        "paid = orders[orders.status == 'paid']\n"
        "print(len(paid), f'{paid.pay_amount.astype(float).sum():.2f}')")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), f"{tmp}/check.ipynb")
    proc = subprocess.run(["jupyter-nbconvert", "--to", "notebook", "--execute",
                           "--output", "done.ipynb", f"{tmp}/check.ipynb"],
                          capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": tmp, "JUPYTER_RUNTIME_DIR": tmp})
    try:
        done = nbformat.read(f"{tmp}/done.ipynb", as_version=4)
        text = "".join(o.get("text", "") for o in done.cells[0].outputs
                       if o.get("name") == "stdout").split()[-2:]
    except (OSError, IndexError):
        return {"error": f"nbconvert did not run the notebook: {proc.stderr[-300:]}"}
    return {"tool": [int(text[0]), text[1]], "sql": by_sql()}


def csharp(tmp: str) -> dict:
    """A program compiled by the course's C# compiler and run by the .NET runtime."""
    with open(f"{tmp}/hello.cs", "w") as f:
        f.write("class Hello { static void Main() { System.Console.WriteLine(\"6*7=\" + (6 * 7)); } }\n")
    build = subprocess.run(["mcs", "-nologo", "-out:" + f"{tmp}/hello.dll", f"{tmp}/hello.cs"],
                           capture_output=True, text=True, timeout=60)
    if build.returncode:
        return {"error": f"mcs: {build.stdout[-300:]}{build.stderr[-300:]}"}
    version = subprocess.run(["dotnet", "--list-runtimes"], capture_output=True, text=True,
                             timeout=30).stdout.split()
    config = {"runtimeOptions": {"tfm": "net8.0", "framework": {
        "name": "Microsoft.NETCore.App", "version": version[1] if len(version) > 1 else "8.0.0"}}}
    with open(f"{tmp}/hello.runtimeconfig.json", "w") as f:
        json.dump(config, f)
    run = subprocess.run(["dotnet", f"{tmp}/hello.dll"], capture_output=True, text=True, timeout=60)
    return {"tool": run.stdout.strip(), "error": run.stderr[-300:] if run.returncode else ""}


def main() -> None:
    action = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="labctl-desktop.")
    start = time.monotonic()
    try:
        result = {"session": session, "spreadsheet": spreadsheet, "notebook": notebook,
                  "csharp": csharp}[action](tmp)
    except Exception as exc:  # noqa: BLE001 - the control says what failed, on one line
        result = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result["seconds"] = round(time.monotonic() - start, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
