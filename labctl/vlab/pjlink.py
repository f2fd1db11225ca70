"""A PJLink projector for the virtual room (Class 1): what the room's projector answers
on TCP port 4352, so that labctl's projector actions can be tried for real.

    python -m labctl.vlab.pjlink --address 10.78.0.60 [--password P] [--lamp-error]
                                 [--lamp-hours 1234] [--silent]

It keeps power, input and mute state, counts lamp hours, and can report a lamp error
(ERST) or accept connections and never answer (--silent: a projector that hangs). With a
password it asks for PJLink's MD5 authentication and answers a wrong one with ERRA, as a
real projector does. No projector emulator on the package index could be installed here,
so the project has its own; it follows PJLink's Class 1 specification (5-1).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import secrets

INPUTS = ("11", "12", "31", "32", "51")   # RGB 1-2, digital (HDMI) 1-2, network


class Projector:
    def __init__(self, password: str | None, lamp_hours: int, lamp_error: bool) -> None:
        self.password = password
        self.power = "0"
        self.input = "31"
        self.mute = "30"
        self.lamp_hours = lamp_hours
        self.lamp_error = lamp_error

    def answer(self, command: str, param: str) -> str:
        """The parameter of the projector's answer to `%1<command> <param>`."""
        on = self.power == "1"
        if command == "POWR":
            if param == "?":
                return self.power
            if param not in ("0", "1"):
                return "ERR2"
            self.power = param
            return "OK"
        if command == "INPT":
            if param == "?":
                return self.input if on else "ERR3"
            if param not in INPUTS:
                return "ERR2"
            if not on:
                return "ERR3"
            self.input = param
            return "OK"
        if command == "AVMT":
            if param == "?":
                return self.mute if on else "ERR3"
            if param not in ("10", "11", "20", "21", "30", "31"):
                return "ERR2"
            if not on:
                return "ERR3"
            self.mute = param
            return "OK"
        if command == "ERST" and param == "?":
            return "0" + ("2" if self.lamp_error else "0") + "0000"
        if command == "LAMP" and param == "?":
            return f"{self.lamp_hours} {1 if on else 0}"
        if command == "INST" and param == "?":
            return " ".join(INPUTS)
        if command == "NAME" and param == "?":
            return "labctl virtual projector"
        if command in ("INF1", "INF2") and param == "?":
            return {"INF1": "labctl", "INF2": "PJ-1"}[command]
        if command == "INFO" and param == "?":
            return ""
        if command == "CLSS" and param == "?":
            return "1"
        return "ERR1"


async def serve(projector: Projector, address: str, port: int, silent: bool) -> None:
    async def conversation(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if silent:
                await asyncio.sleep(3600)
                return
            token = secrets.token_hex(4) if projector.password else None
            writer.write(f"PJLINK {'1 ' + token if token else '0'}\r".encode())
            await writer.drain()
            line = (await asyncio.wait_for(reader.readuntil(b"\r"), 30)).decode(errors="replace")
            if token:
                digest = hashlib.md5((token + projector.password).encode()).hexdigest()
                if line[:32] != digest:
                    writer.write(b"PJLINK ERRA\r")
                    await writer.drain()
                    return
                line = line[32:]
            line = line.rstrip("\r")
            if len(line) < 7 or not line.startswith("%1") or line[6] != " ":
                writer.write(b"%1" + line[2:6].encode() + b"=ERR1\r")
            else:
                command, param = line[2:6], line[7:]
                writer.write(f"%1{command}={projector.answer(command, param)}\r".encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(conversation, address, port)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=4352)
    parser.add_argument("--password")
    parser.add_argument("--lamp-hours", type=int, default=1234)
    parser.add_argument("--lamp-error", action="store_true")
    parser.add_argument("--silent", action="store_true", help="accept connections, never answer")
    args = parser.parse_args(argv)
    asyncio.run(serve(Projector(args.password, args.lamp_hours, args.lamp_error),
                      args.address, args.port, args.silent))


if __name__ == "__main__":
    main()
