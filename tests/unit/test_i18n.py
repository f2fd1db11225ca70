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
