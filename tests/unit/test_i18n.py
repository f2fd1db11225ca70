"""Every label and message the code passes to _() has its Simplified Chinese."""

import ast
import re
import sys
from pathlib import Path

from labctl import i18n

ROOT = Path(__file__).resolve().parents[2] / "labctl"
CALL = re.compile(r'\b_\(\s*((?:"[^"\n]*"\s*)+)')


def keys_in_code():
    found = set()
    for path in ROOT.rglob("*.py"):
        for m in CALL.finditer(path.read_text()):
            found.add("".join(re.findall(r'"([^"\n]*)"', m.group(1))))
    return found


def test_every_key_has_its_chinese():
    keys = keys_in_code()
    assert len(keys) > 30
    missing = sorted(k for k in keys if k not in i18n.ZH_CN)
    assert not missing, missing


# machinery of the virtual room that writes its own logs, not messages to a user
NOT_USER_FACING = {"vlab/qemu.py", "vlab/seatrunner.py", "vlab/wol.py"}
WORD = re.compile(r"[A-Za-z]{3,}")


def _literal(node) -> str | None:
    """The words a message's expression writes itself (an f-string's text, both arms of a
    conditional, both sides of +); None when it is not a literal at all."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.IfExp):
        return f"{_literal(node.body) or ''} {_literal(node.orelse) or ''}"
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return f"{_literal(node.left) or ''}{_literal(node.right) or ''}"
    return None


def untranslated_messages():
    """print(...) and raise SomeError(...) whose text is written in the call itself rather
    than passed through _(): a user would read it in English under zh_CN. ValueError and
    TypeError are a programmer's mistakes, not a user's."""
    found = []
    for path in ROOT.rglob("*.py"):
        if str(path.relative_to(ROOT)) in NOT_USER_FACING:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                message = node.args[0] if node.args else None
            elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) \
                    and getattr(node.exc.func, "id", None) not in ("ValueError", "TypeError"):
                message = node.exc.args[0] if node.exc.args else None
            else:
                continue
            text = _literal(message) if message is not None else None
            if text and set(WORD.findall(text)) - {"labctl"}:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:60]!r}")
    return found


def test_no_message_to_a_user_bypasses_the_translation():
    assert untranslated_messages() == []


def test_the_scan_finds_a_message_written_in_english(tmp_path, monkeypatch):
    """The scan above is not vacuous: an English message in a module is found."""
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "x.py").write_text(
        'def f(seat):\n    raise LabError(f"{seat} is down")\n\n'
        'def g(n):\n    print(_("{n} ok", n=n) if n else "nothing to do")\n')
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert [line.split(":")[0] for line in untranslated_messages()] == ["core/x.py"] * 2


def test_chinese_keeps_every_placeholder():
    for key, zh in i18n.ZH_CN.items():
        assert set(re.findall(r"{\w+}", key)) == set(re.findall(r"{\w+}", zh)), key


def test_the_language_follows_the_option_then_the_locale(monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    try:
        assert i18n.set_lang(None) == "zh_CN" and i18n._("offline") == "关机"
        assert i18n.set_lang("en") == "en" and i18n._("offline") == "offline"
    finally:
        i18n.set_lang("en")


def test_every_help_text_goes_through_the_translation_and_every_command_helps_in_chinese(capsys):
    """Every help= in the command line goes through _() (so the test above holds it to its
    Chinese), and each command's --help under --lang zh_CN is Chinese, argparse's words too."""
    import pytest

    from labctl.cli import main
    source = (ROOT / "cli.py").read_text()
    assert not re.findall(r'help="', source), "a help text that is not translated"
    with pytest.raises(SystemExit):
        main(["--lang", "zh_CN", "--help"])
    top = capsys.readouterr().out
    commands = max((m.split(",") for m in re.findall(r"\{([\w,]+)\}", top)), key=len)
    assert len(commands) > 15 and "enroll" in commands
    for command in commands:
        with pytest.raises(SystemExit) as done:
            main(["--lang", "zh_CN", command, "--help"])
        text = capsys.readouterr().out
        assert done.value.code == 0
        assert text.startswith("用法：") and "显示本帮助并退出" in text and "选项" in text, command
        assert "usage:" not in text and "show this help" not in text, command


def test_argparse_errors_are_chinese_too(capsys):
    """argparse's own errors (a wrong value, a missing or unknown argument) under zh_CN:
    the usage, then one Chinese line naming what is wrong, exit 2."""
    import pytest

    from labctl.cli import main
    cases = {("reset", "--row", "x"): "参数 --row：无效的 int 值：'x'",
             ("vlab", "bogus"): "参数 action：无效的选择：'bogus'",
             ("room", "init"): "缺少必需的参数：name, --seats, --subnet",
             ("reset", "--seats", "a", "--row", "2"): "不能与参数 --seats 同时使用",
             ("provision", "--bogus"): "无法识别的参数：--bogus"}
    for argv, chinese in cases.items():
        with pytest.raises(SystemExit) as done:
            main(["--lang", "zh_CN", *argv])
        err = capsys.readouterr().err
        assert done.value.code == 2 and chinese in err and "错误" in err, err
        assert not re.search(r"invalid|required|unrecognized|not allowed|error:", err), err
    with pytest.raises(SystemExit):
        main(["--lang", "en", "reset", "--row", "x"])
    assert "error: argument --row: invalid int value: 'x'" in capsys.readouterr().err
