"""Render a page in WebKitGTK through WebKitWebDriver under Xvfb; print what the engine saw.

Runs on the seat with the standard library only (sent over SSH by the compliance suite):
    python3 webkit.py URL ELEMENT_ID
prints one JSON object: title, element text, a JavaScript result, the screenshot's size
and its centre pixel (or an error). Everything it starts is stopped before it exits.
"""

import base64
import glob
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib


STEP = [""]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, timeout=60):
    STEP[0] = f"{method} {path.split('/')[-1] or path}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.load(resp)["value"]


def wait_http(base, deadline):
    while time.monotonic() < deadline:
        try:
            return call(base, "GET", "/status", timeout=2)
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("WebKitWebDriver did not answer")


def png_pixel(png: bytes, x: int, y: int):
    """The RGB of one pixel of an 8-bit RGB/RGBA PNG (enough for a check; no Pillow on seats)."""
    pos, chunks, width = 8, b"", 0
    while pos < len(png):
        length, kind = int.from_bytes(png[pos:pos + 4], "big"), png[pos + 4:pos + 8]
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = (int.from_bytes(body[0:4], "big"),
                                            int.from_bytes(body[4:8], "big"), body[8], body[9])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            chunks += body
        pos += 12 + length
    raw, stride, prev = zlib.decompress(chunks), width * bpp, bytearray(width * bpp)
    for row in range(y + 1):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
    return list(prev[x * bpp:x * bpp + 3]), width, height


def main(url: str, element: str) -> dict:
    procs, result = [], {}
    home = tempfile.mkdtemp(prefix="labctl-webkit-")
    env = dict(os.environ, HOME=home, XDG_RUNTIME_DIR=home, XDG_CACHE_HOME=home,
               NO_AT_BRIDGE="1")
    try:
        read, write = os.pipe()  # Xvfb picks a free display and writes its number here
        procs.append(subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "800x600x24",
                                       "-nolisten", "tcp"], pass_fds=(write,),
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        os.close(write)
        with os.fdopen(read) as pipe:
            env["DISPLAY"] = ":" + pipe.readline().strip()
        port = free_port()
        procs.append(subprocess.Popen(["WebKitWebDriver", f"--port={port}"], env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base = f"http://127.0.0.1:{port}"
        wait_http(base, time.monotonic() + 20)
        # MiniBrowser is WebKitGTK's own browser; Epiphany needs a desktop session to automate
        binary = sorted(glob.glob("/usr/lib/*/webkit2gtk-4.*/MiniBrowser"))[-1]
        caps = {"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {
            "binary": binary, "args": ["--automation"]}}}}
        session = call(base, "POST", "/session", caps)
        sid = session["sessionId"]
        result["browser"] = f"{session['capabilities'].get('browserName')} " \
                            f"{session['capabilities'].get('browserVersion')}"
        try:
            call(base, "POST", f"/session/{sid}/url", {"url": url})
            result["title"] = call(base, "GET", f"/session/{sid}/title")
            found = call(base, "POST", f"/session/{sid}/element",
                         {"using": "css selector", "value": f"#{element}"})
            ref = next(iter(found.values()))
            result["text"] = call(base, "GET", f"/session/{sid}/element/{ref}/text")
            result["js"] = call(base, "POST", f"/session/{sid}/execute/sync",
                                {"script": "return document.getElementById('js').dataset.result",
                                 "args": []})
            shot = base64.b64decode(call(base, "GET", f"/session/{sid}/screenshot", timeout=20))
            result["pixel"], result["width"], result["height"] = png_pixel(shot, 100, 150)
        finally:
            call(base, "DELETE", f"/session/{sid}")
    except urllib.error.HTTPError as exc:
        result["error"] = f"WebDriver {exc.code} at {STEP[0]}: {exc.read().decode(errors='replace')[:300]}"
    except Exception as exc:  # reported to the control, which fails with it
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        subprocess.run(["rm", "-rf", home], check=False)
    return result


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
