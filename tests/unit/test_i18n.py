"""Every label and message the code passes to _() has its Simplified Chinese."""

import re
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
