"""English and Simplified Chinese for every label and message of the console and the CLI.

    from labctl.i18n import _
    _("{n} of {total} seats reset and verified", n=3, total=4)

The language is `--lang` (en, zh_CN), else the locale (LC_ALL, LC_MESSAGES, LANG),
else English. Keys are the English text; tests/unit/test_i18n.py checks that every
key used in the code has its Chinese.
"""

from __future__ import annotations

import os

LANGS = ("en", "zh_CN")
_lang = None

ZH_CN = {
    # states
    "online": "在线", "offline": "关机", "unreachable": "无法连接", "resetting": "正在还原",
    "non-compliant": "不合规", "student": "学生在线", "rebooting": "正在重启",
    "shutting down": "正在关机", "waking": "正在唤醒", "checking": "正在检查",
    "provisioning": "正在部署", "disk full": "磁盘已满", "orphaned": "孤立运行",
    # console labels
    "front: teacher desk, projector": "前方：教师机、投影仪",
    "labctl console — room {room}": "labctl 控制台 — 实训室 {room}",
    "room {room}: {terminals} terminals, {servers} server(s) written to {path}; its vault "
    "password is in {secret} (root only): keep a copy somewhere safe":
        "实训室 {room}：{terminals} 台终端、{servers} 台服务器，已写入 {path}；保险库密码在 {secret}"
        "（仅 root 可读）：请另存一份妥善保管",
    "its admin key is {key} and its known_hosts {known} (root only); next: "
    "`labctl enroll -i {path} --all` (docs/real-room.md)":
        "管理密钥在 {key}，known_hosts 在 {known}（仅 root 可读）；下一步："
        "`labctl enroll -i {path} --all`（docs/real-room.md）",
    "--expect-fingerprint names one seat's key: enrol one seat with it":
        "--expect-fingerprint 只对应一台座位的密钥：请一次只登记一台",
    "no terminal to ask the password: pass --password-stdin and give it on standard input":
        "没有终端可以询问密码：请加 --password-stdin，并从标准输入提供密码",
    "{seat} ({ip}) offers {new}": "{seat}（{ip}）提供的主机密钥为 {new}",
    "--installed takes the keys the installer handed over: no --expect-fingerprint or "
    "password with it":
        "--installed 使用安装程序交给实验室服务器的主机密钥：不能同时使用 --expect-fingerprint 或密码",
    "{user}'s password on the new terminals (not stored): ": "新终端上 {user} 的密码（不会保存）：",
    "enrolled": "已登记",
    "{action} of {names} not confirmed: add --yes": "{names} 的{action}未确认：请加 --yes",
    "{n} of {total} terminals reset": "已还原 {n}/{total} 台终端",
    "lamp {hours} h": "灯泡 {hours} 小时",
    "Projector": "投影仪", "projector": "投影仪",
    "o: switch the projector on or off": "o：打开或关闭投影仪", "front: teacher desk": "前方：教师机",
    "Switch the projector on?": "打开投影仪？", "Switch the projector off?": "关闭投影仪？",
    "room {room} has no projector (lab_projectors)": "实训室 {room} 没有投影仪（lab_projectors）",
    "on": "开机", "off": "关机", "warming": "预热中", "cooling": "冷却中",
    "server": "服务器", "room": "实训室", "row": "行", "seat": "座位", "state": "状态", "user": "用户",
    "uptime": "运行", "last reset": "上次还原", "last check": "上次检查", "services": "服务",
    "browsers": "浏览器", "recent CPU": "近期 CPU", "last failures": "最近的失败",
    "none": "无", "never": "从未", "passed": "通过", "failed": "失败", "refused": "已拒绝",
    "ok": "成功", "skipped": "跳过", "selected: {names}": "已选：{names}",
    "CPU and memory of virtual seats are this machine's: a container's /proc is the host's":
        "虚拟座位的 CPU 和内存是本机的数据：容器的 /proc 来自宿主机",
    "Reset": "还原", "Reboot": "重启", "Shut down": "关机", "Wake": "唤醒", "Check": "检查",
    "Provision": "部署", "Log": "日志", "Help": "帮助", "Quit": "退出", "Select": "选择",
    "Row": "整行", "Room": "全部", "Yes": "是", "No": "否",
    "Reset {target}?": "还原 {target}？",
    "Reboot {target}?": "重启 {target}？",
    "Shut down {target}? Students get a warning first.": "关闭 {target}？学生会先收到提醒。",
    "Provision {target} with site.yml?": "用 site.yml 部署 {target}？",
    "{n} seat(s)": "{n} 个座位", "row {row}": "第 {row} 行", "the whole room": "整个实训室",
    "Students still logged in on {names}: reset anyway?":
        "{names} 仍有学生登录：仍要还原吗？",
    "The class is over: please save your work, this computer shuts down in one minute.":
        "下课了：请保存作业，本机将在一分钟后关机。",
    "audit log": "审计日志", "time": "时间", "action": "操作", "outcome": "结果",
    "detail": "详情", "who": "操作人",
    "keys": "按键", "close": "关闭",
    "arrows or mouse: move / select a seat": "方向键或鼠标：移动/选择座位",
    "space: add the seat to the selection": "空格：把座位加入选择",
    "r: reset the selection (or the seat)": "r：还原所选座位（或当前座位）",
    "R: reset the seat's row": "R：还原当前座位所在的行",
    "A: reset the whole room": "A：还原整个实训室",
    "b: reboot   s: shut down (students warned first)   w: wake (Wake-on-LAN)":
        "b：重启   s：关机（先提醒学生）   w：唤醒（网络唤醒）",
    "c: run the compliance check   p: run the provisioning playbook":
        "c：运行合规检查   p：运行部署剧本",
    "l: audit log   ?: this help   q: quit": "l：审计日志   ?：本帮助   q：退出",
    "{seat}: {outcome} {detail}": "{seat}：{outcome} {detail}",
    "check: {ok} of {total} seats compliant": "检查：{ok}/{total} 个座位合规",
    "provisioning: {task}": "部署中：{task}",
    "provisioning finished: {changed} change(s), failed on {failed}":
        "部署完成：{changed} 处更改，失败：{failed}",
    "woke {names}": "已唤醒 {names}",
    "{seat} offers {new}; recorded: {old}": "{seat} 提供的密钥 {new}；已记录：{old}",
    "{seat}: recorded {old}": "{seat}：已记录 {old}", "{seat}: offered  {new}": "{seat}：现提供 {new}",
    "no terminal to ask: pass --expect-fingerprint with the fingerprint shown on the seat's "
    "console (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)":
        "没有终端可询问：请用 --expect-fingerprint 给出该座位控制台上显示的指纹"
        "（ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub）",
    "Is {new} the fingerprint the seat's own console shows? [y/N] ":
        "{new} 是该座位自己控制台上显示的指纹吗？[y/N] ",
    "accepted": "已接受", "unchanged": "未变",
    "{n} event(s) in room {room}": "实训室 {room} 共 {n} 条记录",
    "{option} {value!r}: write YYYY-MM-DD, YYYY-MM-DDTHH:MM, or 7d / 12h for so long ago":
        "{option} {value!r}：请写 YYYY-MM-DD、YYYY-MM-DDTHH:MM，或 7d / 12h 表示多久以前",
    "the health sweep failed: {error}": "健康巡检失败：{error}",
    "health not current: the last sweep failed ({error})": "健康信息不是最新的：上次巡检失败（{error}）",
    "{action} failed: {error}": "{action}失败：{error}", "power": "电源",
    "provisioning did not finish ({why}): recorded as failed": "部署未完成（{why}）：已记为失败",
    "labctl: {playbook} {why}: recorded as failed; run it again":
        "labctl：{playbook} {why}：已记为失败；请重新运行",
    # CLI
    "{n} of {total} seats reset and verified": "{n}/{total} 个座位已还原并验证",
    "{n} failed": "{n} 个失败",
    "check that it is on and plugged in (labctl status), then reset it again":
        "请确认它已开机并接好网线（labctl status），然后再次还原",
    "reset it again; the reason above says what stopped it": "请再次还原；上面的原因说明了失败所在",
    "reset it again; if the same thing is left, the verification above names it":
        "请再次还原；若仍有残留，上面的验证结果会指出",
    "{n} refused: a student is logged in (--force)": "{n} 个已拒绝：有学生登录（--force）",
    "no class in progress at {time} (timetable): logged-in students do not stop the reset":
        "{time} 不在上课时间（课表）：学生登录不会阻止还原",
    "{n} seat(s) have a student logged in ({names}): reset them anyway? [y/N] ":
        "{n} 个座位有学生登录（{names}）：仍要还原吗？[y/N] ",
    "room {room}: {ok} of {total} seats compliant, {failed} failed control(s), {seconds} s (run {run})":
        "实训室 {room}：{ok}/{total} 个座位合规，{failed} 项检查失败，用时 {seconds} 秒（批次 {run}）",
    "browser matrix (engine version, ✘ = does not render the test page):":
        "浏览器矩阵（引擎版本，✘ = 无法渲染测试页）：",
    "room {room}: {installed}; the next resets:": "实训室 {room}：{installed}；接下来的还原：",
    "installed ({where})": "已安装（{where}）", "not installed": "未安装",
    "{path}: room {room}: {terminals} terminals, {servers} server(s), {rows} x {columns} grid, subnet {subnet} — valid":
        "{path}：实训室 {room}：{terminals} 台终端，{servers} 台服务器，{rows} x {columns} 座位，子网 {subnet} — 有效",
    "switch {name} ({family}): {vlans} VLANs, uplink port {uplink}":
        "交换机 {name}（{family}）：{vlans} 个 VLAN，上联端口 {uplink}",
    "CPU and memory of virtual seats are this machine's (a container's /proc is the host's)":
        "虚拟座位的 CPU 和内存是本机的数据（容器的 /proc 来自宿主机）",
    "where": "位置", "cpu%": "CPU%", "mem%": "内存%", "disk%": "磁盘%", "up": "运行",
    "reset": "还原", "check": "检查", "reboot": "重启", "shutdown": "关机", "wake": "唤醒",
    "provision": "部署",
}


def detect() -> str:
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh_CN" if value.lower().startswith("zh") else "en"
    return "en"


def set_lang(lang: str | None) -> str:
    global _lang
    if lang and lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    _lang = lang or detect()
    return _lang


def lang() -> str:
    return _lang or set_lang(None)


def _(text: str, **values) -> str:
    if lang() == "zh_CN":
        text = ZH_CN.get(text, text)
    return text.format(**values) if values else text
