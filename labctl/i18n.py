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
    # inventory validation (labctl validate, and every command that loads a room)
    "{where}: {message} — fix: {fix}": "{where}：{message} —— 修正：{fix}",
    "host {name}": "主机 {name}",
    "{count} problem(s) in {where}; nothing was touched": "{where} 中有 {count} 个问题；未做任何改动",
    "is an executable inventory script, and validation runs nothing from an inventory":
        "是可执行的清单脚本，而校验不会运行清单中的任何东西",
    "save what it prints as a plain file (ansible-inventory -i {name} --list -y > hosts.yml) "
    "and remove its execute bit":
        "把它的输出另存为普通文件（ansible-inventory -i {name} --list -y > hosts.yml），并去掉它的可执行权限",
    "cannot be read: {error}": "无法读取：{error}",
    "make it a readable UTF-8 text file": "请把它改为可读的 UTF-8 文本文件",
    "malformed YAML: {what}": "YAML 格式错误：{what}",
    "correct the YAML at that line (indentation, quotes, colons)": "请修正该行的 YAML（缩进、引号、冒号）",
    "its vault cannot be opened: {error}": "无法打开其中的 vault：{error}",
    "put the room's vault password in {path}.vault-pass (0600, outside the repository, e.g. a "
    "link) or set ANSIBLE_VAULT_PASSWORD_FILE (docs/security.md)":
        "把本实训室的 vault 密码放在 {path}.vault-pass（权限 0600，放在仓库之外，例如用链接），"
        "或设置 ANSIBLE_VAULT_PASSWORD_FILE（docs/security.md）",
    "Ansible cannot load it: {error}": "Ansible 无法加载它：{error}",
    "correct the inventory so `ansible-inventory -i` can read it": "请修正清单，使 `ansible-inventory -i` 能读取它",
    "no hosts found": "没有找到任何主机",
    "list the room's server and terminals (see inventory/demo)": "请列出实训室的服务器和终端（参见 inventory/demo）",
    "cannot be rendered: {why}": "无法展开：{why}",
    "define what it refers to, or write the value out": "请定义它引用的内容，或直接写出取值",
    "refused unrendered: {why}": "拒绝未展开的模板：{why}",
    "validation runs nothing from an inventory: use plain values, or lookup('file', …) for a "
    "file's contents":
        "校验不会运行清单中的任何东西：请使用普通取值，文件内容可用 lookup('file', …)",
    "no such file or directory": "没有这个文件或目录",
    "pass -i with a path to the room's inventory": "请用 -i 指定实训室清单的路径",
    "a real room uses the demo's vault password, which is public":
        "真实实训室使用了演示环境的 vault 密码，而该密码是公开的",
    "a real room's secrets are encrypted with the demo's vault password, which is public":
        "真实实训室的机密是用演示环境的 vault 密码加密的，而该密码是公开的",
    "make the room's own vault password and re-encrypt its secrets with it (docs/security.md: "
    "a room's secrets)":
        "请为本实训室生成自己的 vault 密码，并用它重新加密其机密（docs/security.md：实训室的机密）",
    "required room variable is missing": "缺少必需的实训室变量",
    "set {var} in group_vars/all.yml (see docs/inventory.md)": "请在 group_vars/all.yml 中设置 {var}（参见 docs/inventory.md）",
    "{value} is not a short room name": "{value} 不是合规的简短实训室名称",
    "use 1-11 lower-case letters, digits or '-', starting with a letter": "使用 1–11 个小写字母、数字或 '-'，以字母开头",
    "{value} is not a plain absolute directory": "{value} 不是普通的绝对目录路径",
    "{value} is inside {tree}, which is shared (the room's keys would be too)":
        "{value} 位于共享的 {tree} 之内（实训室的密钥也会随之共享）",
    "give an absolute directory on the admin host, outside the project, made of letters, "
    "digits, '_', '-', '.' and '/', e.g. /var/lib/labctl/rooms/b305":
        "请给出管理主机上、项目之外的绝对目录，只含字母、数字、'_'、'-'、'.' 和 '/'，例如 /var/lib/labctl/rooms/b305",
    "not an IPv4 network: {error}": "不是 IPv4 网段：{error}",
    "{subnet} is too small for a room (a gateway, a server and terminals)":
        "{subnet} 太小，容不下一个实训室（网关、服务器和终端）",
    "give the room a subnet of /29 or larger, e.g. 10.77.0.0/24": "请给实训室 /29 或更大的网段，例如 10.77.0.0/24",
    "write the room's subnet as ADDRESS/PREFIX, e.g. 10.77.0.0/24": "请把实训室网段写成 地址/前缀长度，例如 10.77.0.0/24",
    "{value} is not a positive whole number": "{value} 不是正整数",
    "set {var} to a whole number of 1 or more (the room's rows or columns)":
        "请把 {var} 设为 1 或更大的整数（实训室的行数或列数）",
    "{gateway} is outside {subnet}": "{gateway} 不在 {subnet} 之内",
    "bad gateway: {error}": "网关有误：{error}",
    "give an address inside {subnet}, e.g. {example}": "请给出 {subnet} 内的地址，例如 {example}",
    "see docs/reset.md for the timetable's form": "课表的写法见 docs/reset.md",
    "{value} is not a valid hostname": "{value} 不是有效的主机名",
    "use letters, digits and '-' only (e.g. pc01)": "只使用字母、数字和 '-'（例如 pc01）",
    "must be in exactly one of the groups servers and terminals": "必须且只能属于 servers 和 terminals 两个组之一",
    "list the host under `servers` or under `terminals`": "请把该主机列在 `servers` 或 `terminals` 之下",
    "required variable is missing": "缺少必需的变量",
    "set {var} for this host or its group (docs/inventory.md)": "请为该主机或其所在组设置 {var}（docs/inventory.md）",
    "{value} is not an IPv4 address": "{value} 不是 IPv4 地址",
    "write the terminal's address as four numbers, e.g. 10.77.0.101": "请把终端地址写成四个数字，例如 10.77.0.101",
    "{ip} is outside the room's subnet {subnet}": "{ip} 不在实训室网段 {subnet} 之内",
    "give the host an address inside {subnet} or correct lab_room_subnet": "请给该主机一个 {subnet} 内的地址，或修正 lab_room_subnet",
    "{ip} is the room's gateway (the admin host)": "{ip} 是实训室的网关（管理主机）",
    "give the host another address": "请给该主机另一个地址",
    "{value} is not a MAC address": "{value} 不是 MAC 地址",
    "write six hex pairs, e.g. 52:54:00:77:01:01 (quote it in YAML)":
        "请写成六组十六进制数，例如 52:54:00:77:01:01（在 YAML 中加引号）",
    "unknown OS family {value}": "未知的操作系统类型 {value}",
    "use one of: {choices}": "请使用以下之一：{choices}",
    "unknown reset method {value}": "未知的还原方式 {value}",
    "{value} is for Windows seats": "{value} 只用于 Windows 座位",
    "use profile or reboot-restore on a Linux seat": "Linux 座位请使用 profile 或 reboot-restore",
    "{value} is for Linux seats": "{value} 只用于 Linux 座位",
    "use uwf or windows-profile on a Windows seat": "Windows 座位请使用 uwf 或 windows-profile",
    "a terminal must have a reset method": "终端必须有还原方式",
    "use profile or reboot-restore (uwf or windows-profile on Windows)":
        "请使用 profile 或 reboot-restore（Windows 上用 uwf 或 windows-profile）",
    "{value} is not a VLAN id": "{value} 不是 VLAN 编号",
    "use a whole number from 1 to 4094": "请使用 1 到 4094 之间的整数",
    "{value} is not a seat position": "{value} 不是座位位置",
    "write the seat as {row: R, column: C} with whole numbers": "请把座位写成 {row: R, column: C}，R 和 C 为整数",
    "row {row}, column {column} is outside the room's {rows} x {columns} grid":
        "第 {row} 行第 {column} 列超出了实训室 {rows} × {columns} 的座位网格",
    "move the seat inside the grid or enlarge lab_room_rows/lab_room_columns":
        "请把座位移到网格内，或增大 lab_room_rows/lab_room_columns",
    "hostname": "主机名",
    "seat position": "座位位置",
    "duplicate {what} {value}, also on {other}": "{what} {value} 重复，{other} 也在使用",
    "give every host its own {what}": "请给每台主机各自的 {what}",
    "{value} is not {what}": "{value} 不是{what}",
    "a time zone name": "时区名称",
    "use a name from the zone database, e.g. Asia/Shanghai": "请使用时区数据库中的名称，例如 Asia/Shanghai",
    "{value} is not in the zone database": "{value} 不在时区数据库中",
    "did you mean {name}?": "是不是 {name}？",
    "use a name from `timedatectl list-timezones`, e.g. Asia/Shanghai":
        "请使用 `timedatectl list-timezones` 列出的名称，例如 Asia/Shanghai",
    "a Windows time zone name": "Windows 时区名称",
    "use a name from `tzutil /l`, e.g. China Standard Time": "请使用 `tzutil /l` 列出的名称，例如 China Standard Time",
    "an account name": "账户名",
    "use 1-32 lower-case letters, digits, '_' or '-', starting with a letter": "使用 1–32 个小写字母、数字、'_' 或 '-'，以字母开头",
    "{value} is not a list of students": "{value} 不是学生列表",
    "list the students' names": "请列出学生的账户名",
    "a student account name": "学生账户名",
    "use 1-32 lower-case letters, digits or '_', starting with a letter": "使用 1–32 个小写字母、数字或 '_'，以字母开头",
    "student {other} begins with student {name} and '_', so {plain}'s databases ({plain}_*) "
    "would take in {plain_other}'s":
        "学生 {other} 以学生 {name} 加 '_' 开头，{plain} 的数据库（{plain}_*）会把 {plain_other} 的也包括进去",
    "rename one of them (e.g. {example})": "请给其中一个改名（例如 {example}）",
    "{value} is not a mapping": "{value} 不是映射",
    "map each database name to its template, or to '' for an empty one": "请把每个数据库名映射到它的模板，空数据库映射到 ''",
    "a student database name": "学生数据库名",
    "use 1-15 lower-case letters, digits or '_', starting with a letter": "使用 1–15 个小写字母、数字或 '_'，以字母开头",
    "a template database": "模板数据库名",
    "use 1-48 lower-case letters, digits or '_', starting with a letter": "使用 1–48 个小写字母、数字或 '_'，以字母开头",
    "a course database name": "课程数据库名",
    "an NTP server's name or address": "NTP 服务器的名称或地址",
    "give a host name or an IPv4 address": "请给出主机名或 IPv4 地址",
    "{value} is not a list": "{value} 不是列表",
    "write {var} as a list": "请把 {var} 写成列表",
    "{value} is not true or false": "{value} 不是 true 或 false",
    "write {var}: true (or false), without quotes": "请写成 {var}: true（或 false），不加引号",
    "a disk (the installer takes it whole)": "磁盘（安装程序会占用整块磁盘）",
    "name the disk, e.g. /dev/sda or /dev/nvme0n1": "请写出磁盘，例如 /dev/sda 或 /dev/nvme0n1",
    "a console for the installer (on its kernel command line)": "安装程序的控制台（写在其内核命令行上）",
    "write '' for the screen, or a serial port such as ttyS0,115200n8": "屏幕写 ''，串口写成 ttyS0,115200n8 这样",
    "a plain absolute path (written into nginx's configuration, read by root)":
        "普通的绝对路径（会写入 nginx 配置，由 root 读取）",
    "give a directory such as /var/lib/lab-install/hostkeys: letters, digits, '_', '-' and '.', no '..'":
        "请给出类似 /var/lib/lab-install/hostkeys 的目录：只含字母、数字、'_'、'-' 和 '.'，不含 '..'",
    "an overlayroot setting (sourced as shell in the initramfs)": "overlayroot 设置（会在 initramfs 中作为 shell 脚本读入）",
    "use tmpfs with key=value options, e.g. tmpfs:recurse=0": "请使用 tmpfs 加 key=value 选项，例如 tmpfs:recurse=0",
    "an HTTP proxy URL": "HTTP 代理地址",
    "write http://HOST:PORT (e.g. http://10.77.0.10:3142), or '' for none":
        "请写成 http://主机:端口（例如 http://10.77.0.10:3142），不用代理则写 ''",
    "{value} is not a path inside a home": "{value} 不是主目录内的路径",
    "give a relative path without '..', e.g. Desktop/readme.txt": "请给出不含 '..' 的相对路径，例如 Desktop/readme.txt",
    # the switch model, the timetable and the projectors (labctl validate)
    "describe the switch as in docs/switch.md": "请按 docs/switch.md 描述交换机",
    "unknown setting": "未知的设置项",
    "use only: {keys} (docs/switch.md)": "只能使用：{keys}（docs/switch.md）",
    "unknown switch family {value}": "未知的交换机类型 {value}",
    "{value} is not a switch name": "{value} 不是交换机名称",
    "give the switch a short name of letters, digits, '-' or '_' (its hostname)":
        "请给交换机一个由字母、数字、'-' 或 '_' 组成的简短名称（即其主机名）",
    "{value} is not a port count": "{value} 不是端口数量",
    "set ports to how many ports the switch has, e.g. 48": "请把 ports 设为交换机的端口数，例如 48",
    "a linux-bridge switch needs its bridge's name": "linux-bridge 类型的交换机需要网桥名称",
    "set bridge, e.g. lab-<room> for the virtual room": "请设置 bridge，虚拟实训室例如 lab-<实训室>",
    "{value} is not a bridge name": "{value} 不是网桥名称",
    "use up to 15 lower-case letters, digits or '-', starting with a letter": "最多使用 15 个小写字母、数字或 '-'，以字母开头",
    "{value} is not a port name format": "{value} 不是端口名称格式",
    "write the interface's name with {port} where its number goes, e.g. GigabitEthernet1/0/{port} "
    "(letters, digits, '/', '.', '-', '_' only)":
        "写出接口名称，编号处写 {port}，例如 GigabitEthernet1/0/{port}（只含字母、数字、'/'、'.'、'-'、'_'）",
    "no VLANs": "没有 VLAN",
    "list the VLANs as {id: 10, name: students} items": "请把 VLAN 列成 {id: 10, name: students} 这样的条目",
    "{value} is not a VLAN name": "{value} 不是 VLAN 名称",
    "name the VLAN with up to 32 letters, digits, '-' or '_', e.g. students":
        "VLAN 名称最多 32 个字母、数字、'-' 或 '_'，例如 students",
    "VLAN {vid} is listed twice": "VLAN {vid} 列出了两次",
    "list each VLAN once": "每个 VLAN 只列一次",
    "VLAN name {name} is used by VLAN {other} too": "VLAN 名称 {name} 也被 VLAN {other} 使用",
    "give every VLAN its own name": "请给每个 VLAN 各自的名称",
    "is not a VLAN id": "不是 VLAN 编号",
    "VLAN {vid} is not one of the switch's VLANs ({vlans})": "VLAN {vid} 不是交换机的 VLAN 之一（{vlans}）",
    "use a VLAN listed in lab_switch.vlans, or add it there": "请使用 lab_switch.vlans 中列出的 VLAN，或把它加进去",
    "{value} is not a port policy": "{value} 不是端口策略",
    "use a mapping of: {keys}": "请使用由以下键组成的映射：{keys}",
    "{value} is not a positive number": "{value} 不是正数",
    "set {key} to a whole number of at least 1, or leave it out": "请把 {key} 设为不小于 1 的整数，或者不写",
    "port {port} is not a port of the switch (1-{count})": "端口 {port} 不是交换机的端口（1-{count}）",
    "use a port number the switch has": "请使用交换机上存在的端口号",
    "port {port} is assigned twice: {first} and {second}": "端口 {port} 被分配了两次：{first} 和 {second}",
    "give every host and device its own port": "请给每台主机和设备各自的端口",
    "the host has no switch port": "该主机没有交换机端口",
    "set lab_switch_port to the port its cable is plugged into": "请把 lab_switch_port 设为它的网线所插的端口",
    "{value} is not a list of VLAN ids": "{value} 不是 VLAN 编号列表",
    "write the other VLANs the host's port carries, e.g. [10, 20]": "请写出该主机端口承载的其他 VLAN，例如 [10, 20]",
    "list other devices as {port: 47, vlan: 99, description: ...} items":
        "请把其他设备列成 {port: 47, vlan: 99, description: ...} 这样的条目",
    "{value} is not a port": "{value} 不是端口",
    "write {port: N, vlan: V, description: ...}": "请写成 {port: N, vlan: V, description: ...}",
    "{value} is not a one-line description": "{value} 不是单行描述",
    "describe the device in up to 64 letters, digits, spaces and .,:/()#@+- (no quotes, "
    "backslashes or line breaks)":
        "用最多 64 个字母、数字、空格和 .,:/()#@+- 描述该设备（不含引号、反斜杠或换行）",
    "the switch has no uplink": "交换机没有上联端口",
    "describe the uplink trunk: {port: 48, vlans: [...], native: 10}":
        "请描述上联 trunk：{port: 48, vlans: [...], native: 10}",
    "list the VLANs the uplink trunk carries": "请列出上联 trunk 承载的 VLAN",
    "native VLAN {vid} is not carried by the uplink ({vlans})": "native VLAN {vid} 不在上联承载的 VLAN 之中（{vlans}）",
    "set native to one of the uplink's VLANs": "请把 native 设为上联承载的 VLAN 之一",
    "the uplink trunk does not carry VLAN {vid}, which {users} use": "上联 trunk 不承载 VLAN {vid}，而 {users} 在使用它",
    "add {vid} to the uplink's vlans": "请把 {vid} 加到上联的 vlans 中",
    "is not {vlan: V, address: A/P}": "不是 {vlan: V, address: A/P} 形式",
    "give the management VLAN and the switch's address in it": "请给出管理 VLAN 以及交换机在其中的地址",
    "{value} is not an address/prefix": "{value} 不是 地址/前缀长度",
    "give the switch's management address as ADDRESS/PREFIX, e.g. 10.77.99.2/24":
        "请把交换机的管理地址写成 地址/前缀长度，例如 10.77.99.2/24",
    # timetable
    "write it as {days: [mon, ...], periods: ['08:00-08:45', ...]}":
        "请写成 {days: [mon, ...], periods: ['08:00-08:45', ...]}",
    "days {value}: use a list of {choices}": "days {value}：请使用由 {choices} 组成的列表",
    "period {value} is not HH:MM-HH:MM (e.g. '08:00-08:45')": "课时 {value} 不是 HH:MM-HH:MM 格式（例如 '08:00-08:45'）",
    "period {value} ends before it starts": "课时 {value} 的结束早于开始",
    "{option} {value}: write true or false": "{option} {value}：请写 true 或 false",
    "period {value} overlaps the one before; list them in order": "课时 {value} 与前一节重叠；请按顺序列出",
    "no periods: list the class periods, e.g. ['08:00-08:45']": "没有课时：请列出上课时段，例如 ['08:00-08:45']",
    # projectors
    "is not a list": "不是列表",
    "write a list: - {name: proj1, address: 10.20.0.60}": "请写成列表：- {name: proj1, address: 10.20.0.60}",
    "item {n}": "第 {n} 项",
    "{where} is not {{name, address[, port]}}": "{where} 不是 {{name, address[, port]}} 形式",
    "give each projector a name and an address (port: optional)": "请给每台投影仪一个名称和地址（port 可选）",
    "{where}: {value} is not a projector name": "{where}：{value} 不是投影仪名称",
    "use letters, digits and '-' (e.g. proj1)": "请使用字母、数字和 '-'（例如 proj1）",
    "{where}: {value} is not an IPv4 address": "{where}：{value} 不是 IPv4 地址",
    "give the projector's address, e.g. 10.20.0.60": "请给出投影仪的地址，例如 10.20.0.60",
    "{where}: port {value} is not a TCP port": "{where}：端口 {value} 不是 TCP 端口",
    "leave it out (4352)": "不写即可（默认 4352）",
    # the command line's help (labctl --lang zh_CN ... --help)
    "usage: ": "用法：",
    "positional arguments": "位置参数",
    "options": "选项",
    "show this help message and exit": "显示本帮助并退出",
    "The labctl command line. Every command that acts on a room validates its inventory first.":
        "labctl 命令行。凡是作用于实训室的命令，都会先校验实训室的清单。",
    "language of labels and messages (default: from the locale)": "标签和消息的语言（默认取自系统区域设置）",
    "print labctl's version and the project it runs, and exit": "显示 labctl 的版本及其使用的项目目录，然后退出",
    "the room's Ansible inventory (default: inventory/demo)": "实训室的 Ansible 清单（默认：inventory/demo）",
    "check the room's inventory": "校验实训室的清单",
    "print the result as JSON (docs/cli.md)": "以 JSON 输出结果（docs/cli.md）",
    "print the results as JSON (docs/cli.md)": "以 JSON 输出结果（docs/cli.md）",
    "print the results as JSON": "以 JSON 输出结果",
    "the virtual room: seats booted on this machine": "虚拟实训室：在本机上启动的座位",
    "seats for start/stop": "start/stop 作用的座位",
    "a generated room of N terminals (benchmarks, scale tests); --seats always names seats":
        "生成一个有 N 台终端的实训室（基准测试、规模测试）；--seats 始终表示座位名",
    "down: also delete the seats' disks": "down：同时删除各座位的磁盘",
    "seconds to wait for SSH": "等待 SSH 的秒数",
    "up: provision the room with the playbooks (terminals from a shared layer)":
        "up：用 playbook 部署实训室（终端基于共享层）",
    "run a playbook over the room (default site.yml)": "在实训室上运行一个 playbook（默认 site.yml）",
    "print each host's result as JSON instead of Ansible's display": "以 JSON 输出每台主机的结果，而不是 Ansible 的显示",
    "the Linux terminals converge themselves from the lab server (docs/pull.md); default: the inventory's lab_provision_mode":
        "Linux 终端从实验室服务器自行收敛（docs/pull.md）；默认取清单的 lab_provision_mode",
    "Ansible on this host reaches every host": "由本机上的 Ansible 连接每台主机",
    "unknown provisioning mode {value}": "未知的部署方式 {value}",
    "write push (Ansible on the admin host) or pull (the terminals converge themselves, docs/pull.md)":
        "写 push（管理主机上的 Ansible）或 pull（终端自行收敛，docs/pull.md）",
    "pull mode needs the room's lab server: it serves the terminals their copy of the project":
        "pull 方式需要实训室的实验室服务器：由它向终端提供项目副本",
    "the lab server does not serve {files}: server.yml failed on {hosts}":
        "实验室服务器没有提供 {files}：server.yml 在 {hosts} 上失败",
    "no recap from labctl-pull": "labctl-pull 没有给出汇总",
    "the admin host's mirror has no archive {sha}: run `labctl mirror`":
        "管理主机的镜像中没有归档 {sha}：请运行 `labctl mirror`",
    "make the value renderable on the admin host (a lookup's file must exist here)":
        "让该值能在管理主机上渲染（lookup 读取的文件必须在本机存在）",
    "the mirror has no wheels of ansible-core for the terminals: run `labctl mirror`":
        "镜像中没有供终端使用的 ansible-core wheel：请运行 `labctl mirror`",
    "the collection {name} is not installed beside ansible-core here: "
    "pip install ansible (scripts/setup does)":
        "本机 ansible-core 旁没有安装集合 {name}：请 pip install ansible（scripts/setup 会安装）",
    "the health probe ended (exit {status})": "健康探测程序已结束（退出码 {status}）",
    "no answer within {seconds} s": "{seconds} 秒内没有应答",
    "the shop database of the data-analysis courses": "数据分析课程使用的网店数据库",
    "the course database (default shop)": "课程数据库（默认 shop）",
    "a file holding the MariaDB user's password": "存放 MariaDB 用户密码的文件",
    "MariaDB's unix socket (instead of host and port)": "MariaDB 的 unix 套接字（代替主机和端口）",
    "write the shop's data, deterministic for a seed": "生成网店数据，相同种子生成相同数据",
    "tiny, small, standard (~100k orders), large, huge, or a number":
        "tiny、small、standard（约 10 万订单）、large、huge，或一个数字",
    "the directory to write": "要写入的目录",
    "load generated data into a MariaDB database": "把生成的数据导入 MariaDB 数据库",
    "the generated data directory": "生成的数据所在目录",
    "copy the course database to a student's database": "把课程数据库复制为学生的数据库",
    "the student's database, e.g. student_shop": "学生的数据库，例如 student_shop",
    "export generated data as xlsx or csv": "把生成的数据导出为 xlsx 或 csv",
    "the file or directory to write": "要写入的文件或目录",
    "restore the students' databases on the terminals": "在终端上恢复学生的数据库",
    "comma-separated terminals (default: all)": "逗号分隔的终端（默认：全部）",
    "prove the room meets its specification (testinfra)": "证明实训室符合其规范（testinfra）",
    "seats: names, groups or globs, comma-separated": "座位：名称、组或通配符，逗号分隔",
    "write JUnit XML here": "把 JUnit XML 写到这里",
    "parallel pytest workers (default: by seats)": "并行的 pytest 进程数（默认按座位数）",
    "the room's health, without a screen": "实训室的健康状况（无界面）",
    "a room's inventory; more than once for several rooms (default: $LABCTL_INVENTORY, else inventory/demo)":
        "实训室的清单；多个实训室可多次指定（默认：$LABCTL_INVENTORY，否则 inventory/demo）",
    "one JSON list per sweep": "每轮巡检输出一个 JSON 列表",
    "sweep again every --interval seconds": "每隔 --interval 秒再巡检一次",
    "per-seat probe timeout": "每个座位的探测超时",
    "the teacher's console: the room map and its actions": "教师控制台：实训室座位图及其操作",
    "seconds between health polls": "健康巡检的间隔秒数",
    "comma-separated terminals": "逗号分隔的终端",
    "every terminal of this row": "这一排的所有终端",
    "every terminal (the default)": "所有终端（默认）",
    "reboot terminals": "重启终端",
    "shut terminals down, the students warned a minute before": "关闭终端，提前一分钟提醒学生",
    "wake terminals (Wake-on-LAN)": "唤醒终端（网络唤醒）",
    "do not ask first": "不先询问",
    "the room's projectors (PJLink): status, on, off, input": "实训室的投影仪（PJLink）：状态、开、关、输入源",
    "input: rgb1, rgb2, video1, hdmi1, hdmi2, network": "输入源：rgb1、rgb2、video1、hdmi1、hdmi2、network",
    "comma-separated projector names (default: all)": "逗号分隔的投影仪名称（默认：全部）",
    "seconds a projector may take": "投影仪最多可用的秒数",
    "reset the students' terminals, verified": "还原学生终端，并验证",
    "instead of each seat's lab_reset_method": "代替各座位的 lab_reset_method",
    "reset seats with a student logged in": "即使有学生登录也还原",
    "thaw (on) or freeze (off) reboot-to-restore seats instead of resetting":
        "解冻（on）或冻结（off）重启还原座位，而不是还原",
    "a new room: its inventory and secrets from a seat list": "新实训室：根据座位表生成清单和机密",
    "write a room's inventory from a CSV or XLSX seat list": "根据 CSV 或 XLSX 座位表写出实训室清单",
    "the room's short name, e.g. b305": "实训室的简称，例如 b305",
    "CSV or XLSX: name, mac, row, column, os, ip (docs/inventory.md)": "CSV 或 XLSX：name、mac、row、column、os、ip（docs/inventory.md）",
    "the room's subnet, e.g. 10.20.0.0/24": "实训室网段，例如 10.20.0.0/24",
    "the inventory directory to write (default inventory/NAME)": "要写入的清单目录（默认 inventory/NAME）",
    "the room's admin key, known_hosts and fact cache, root's alone (default /var/lib/labctl/rooms/NAME)":
        "实训室的管理密钥、known_hosts 和事实缓存，仅 root 可读（默认 /var/lib/labctl/rooms/NAME）",
    "list or export the audit log (every action, by whom)": "列出或导出审计日志（每个操作及其执行者）",
    "one seat's events": "某一座位的事件",
    "one action's events (reset, provision, host key, …)": "某一操作的事件（reset、provision、host key……）",
    "from: YYYY-MM-DD[THH:MM], or 7d / 12h ago": "起始：YYYY-MM-DD[THH:MM]，或 7d / 12h 以前",
    "before: the same forms": "截止：写法同上",
    "a PC that runs Debian joins the room: its host key confirmed and recorded, the room's admin key installed":
        "运行 Debian 的电脑加入实训室：确认并记录其主机密钥，安装实训室的管理密钥",
    "the seats to enrol": "要登记的座位",
    "every Linux seat of the room": "实训室的所有 Linux 座位",
    "the host key's fingerprint read off the seat's console (one seat)": "从座位自己的控制台读到的主机密钥指纹（仅一台座位）",
    "read the admin's password from standard input, not the terminal": "从标准输入读取管理员密码，而不是从终端",
    "seats the network install made: their host keys are the ones their installer handed over to the lab server (no password)":
        "由网络安装的座位：其主机密钥以安装程序交给实验室服务器的为准（无需密码）",
    "accept a seat's new SSH host key (a reinstalled PC)": "接受座位新的 SSH 主机密钥（重装过的电脑）",
    "the seat's name": "座位名称",
    "the fingerprint read off the seat's own console: no question asked": "从座位自己的控制台读到的指纹：不再询问",
    "accept without asking (not recommended)": "不询问直接接受（不推荐）",
    "reset the room at the end of each class period": "在每节课结束时还原实训室",
    "show: how many runs": "show：显示多少次",
    "fill the admin host's copy of the offline installers": "补齐管理主机上的离线安装包",
    # command-line messages, progress and errors of the core and the virtual room
    "muted":
        "静音",
    "the compliance suite did not run (pytest exit {rc}):":
        "合规检查套件没有运行（pytest 退出码 {rc}）：",
    "the room has no lab server to hand host keys over to":
        "实训室没有可接收主机密钥的实训服务器",
    "the admin key logs in but cannot run a command":
        "管理密钥能登录，但无法执行命令",
    "the C# compiler mcs is missing: apt-get install mono-mcs":
        "缺少 C# 编译器 mcs：apt-get install mono-mcs",
    "building Veyon's lock screen fix needs g++ and Qt 5's headers: apt-get install g++ qtbase5-dev pkgconf (scripts/setup does)":
        "构建 Veyon 锁屏修复需要 g++ 和 Qt 5 头文件：apt-get install g++ qtbase5-dev pkgconf（scripts/setup 会安装）",
    "the .NET runtime, Veyon's lock screen fix, the wheels of ansible-core for pull runs, or all three (the default)":
        ".NET 运行时、Veyon 锁屏修复、供 pull 运行的 ansible-core wheel，或全部三项（默认）",
    "no projector action {action}: use one of {actions}":
        "没有投影仪操作 {action}：请使用 {actions} 之一",
    "no projector input {value}: use one of {inputs}":
        "没有投影仪输入 {value}：请使用 {inputs} 之一",
    "lab-reset {action} gave no result: {reason} (is the lab_reset role applied? run terminals.yml)":
        "lab-reset {action} 没有给出结果：{reason}（是否已应用 lab_reset 角色？请运行 terminals.yml）",
    "did not come back from its reboot within {seconds} s":
        "重启后 {seconds} 秒内没有恢复",
    "the template shop_template cannot be read: {why} (run terminals.yml)":
        "无法读取模板数据库 shop_template：{why}（请运行 terminals.yml）",
    "{inventory}: room {room} has no lab_timetable: add the class periods (see docs/reset.md) before scheduling resets":
        "{inventory}：实训室 {room} 没有 lab_timetable：请先加上课节时间（见 docs/reset.md），再安排定时还原",
    "{data}: no CSV files: generate the data first (`labctl coursedata generate --out DIR`)":
        "{data}：没有 CSV 文件：请先生成数据（`labctl coursedata generate --out DIR`）",
    "unknown format {format}: use csv or xlsx":
        "未知格式 {format}：请用 csv 或 xlsx",
    "unknown scale {value}: use one of {scales} or a number from 0.001 to 100 (1 = about {orders} orders)":
        "未知规模 {value}：请用 {scales} 之一，或 0.001 到 100 之间的数（1 = 约 {orders} 个订单）",
    "the private MariaDB server did not start: see {log}":
        "私有 MariaDB 服务器没有启动：见 {log}",
    "no Debian archive found in /etc/apt/sources.list*: set LABCTL_DEBIAN_MIRROR to your Debian mirror's URL (the one ending in /debian)":
        "在 /etc/apt/sources.list* 中找不到 Debian 软件源：请把 LABCTL_DEBIAN_MIRROR 设为你的 Debian 镜像地址（以 /debian 结尾）",
    "`{command} …` failed (exit {rc}); see {log}":
        "`{command} …` 失败（退出码 {rc}）；见 {log}",
    "{what} failed on {hosts}:":
        "{what} 在 {hosts} 上失败：",
    "the room":
        "整个实训室",
    "{seats} did not let the admin log in; see {dir}/seats/SEAT/console.log":
        "{seats} 不让管理员登录；见 {dir}/seats/SEAT/console.log",
    "terminals did not come back after provisioning: {seats}":
        "部署后这些终端没有恢复：{seats}",
    "`ip {args}` failed: {why}":
        "`ip {args}` 失败：{why}",
    "the virtual room needs root: run `sudo labctl vlab up`":
        "虚拟实训室需要 root：请运行 `sudo labctl vlab up`",
    "missing tools: {tools}":
        "缺少工具：{tools}",
    "the kernel has no overlay filesystem (modprobe overlay)":
        "内核没有 overlay 文件系统（modprobe overlay）",
    "{inventory}: lab_room_subnet: the room's subnet {subnet} clashes with the route {route} on {dev}; fix: choose another lab_room_subnet, or stop what uses {route} (another room? `labctl vlab status`)":
        "{inventory}：lab_room_subnet：实训室子网 {subnet} 与 {dev} 上的路由 {route} 冲突；修正：换一个 lab_room_subnet，或停掉使用 {route} 的东西（另一个实训室？`labctl vlab status`）",
    "{seat} has never been up: run `labctl vlab up` first":
        "{seat} 从未启动过：请先运行 `labctl vlab up`",
    "the golden image {image} has no user {user}: remove it and run `labctl vlab up` again to rebuild it":
        "黄金镜像 {image} 中没有用户 {user}：请删除它，再运行 `labctl vlab up` 重建",
    "cannot set up the room's NAT with nft: {why}":
        "无法用 nft 设置实训室的 NAT：{why}",
    "{seat} must be stopped before it is unplugged":
        "{seat} 必须先停止，才能拔掉网线",
    "{seat} must be stopped before its layers change":
        "{seat} 必须先停止，才能更换磁盘层",
    "processes {pids} of room {room} did not end after SIGKILL":
        "实训室 {room} 的进程 {pids} 在 SIGKILL 后仍未结束",
    "--password-file {path}: {why}; give a readable file holding the password":
        "--password-file {path}：{why}；请给出一个可读的、存有密码的文件",
    "JUnit XML: {path}":
        "JUnit XML：{path}",
    "checking {n} seat(s): controls":
        "正在检查 {n} 台座位：检查项",
    "exported to {path}":
        "已导出到 {path}",
    "generating":
        "正在生成",
    "left":
        "剩余",
    "loading {database}: rows":
        "正在载入 {database}：行",
    "mirror: {path}":
        "镜像：{path}",
    "n/a (Linux)":
        "不适用（Linux）",
    "name the Linux seats to enrol (labctl enroll pc01 pc02 ...), or --all":
        "请列出要登记的 Linux 座位（labctl enroll pc01 pc02 ...），或用 --all",
    "no terminal matches":
        "没有匹配的终端",
    "none of {names} is a Linux seat: a Windows seat's connection is set up as docs/windows.md says":
        "{names} 中没有 Linux 座位：Windows 座位的连接按 docs/windows.md 设置",
    "restoring the databases":
        "正在还原数据库",
    "room {room}: ":
        "实训室 {room}：",
    "room {room}: down":
        "实训室 {room}：已关闭",
    "room {room}: down and purged":
        "实训室 {room}：已关闭并清除",
    "room {room}: provisioned; site.yml changed {n} task(s)":
        "实训室 {room}：已部署；site.yml 改动了 {n} 个任务",
    "room {room}: {n} seats up on bridge {bridge}; inventory {inventory}":
        "实训室 {room}：{n} 台座位已在网桥 {bridge} 上启动；清单 {inventory}",
    "rows":
        "行数",
    "seats up":
        "已启动的座位",
    "seed {seed} must be a whole number >= 0":
        "种子 {seed} 必须是大于等于 0 的整数",
    "table":
        "表",
    "written to {path}":
        "已写入 {path}",
    "{database}: {rows} rows in {n} tables":
        "{database}：{n} 张表共 {rows} 行",
    "{n} seat(s) did not answer SSH: {names}; see {dir}/seats/SEAT/console.log":
        "{n} 台座位没有响应 SSH：{names}；见 {dir}/seats/SEAT/console.log",
    "{n} skipped: {controls}":
        "跳过 {n} 项：{controls}",
    "{passed} passed, {failed} failed":
        "{passed} 项通过，{failed} 项失败",
    "{playbook}: host tasks":
        "{playbook}：主机任务",
    "{target}: copied from {database} in {seconds} s":
        "{target}：已从 {database} 复制，用时 {seconds} 秒",
    "labctl {version} (project: {path})":
        "labctl {version}（项目：{path}）",
    "room {room} has no projector named {names}: list it in lab_projectors (docs/classroom.md)":
        "实训室 {room} 没有名为 {names} 的投影仪：请在 lab_projectors 中列出（docs/classroom.md）",
    "room {room} has no projector: list it in lab_projectors (docs/classroom.md)":
        "实训室 {room} 没有投影仪：请在 lab_projectors 中列出（docs/classroom.md）",
    "running":
        "运行中",
    "booting":
        "启动中",
    "stopped":
        "已停止",
    # a campus inventory: several rooms
    "== room {room} ==":
        "== 实训室 {room} ==",
    "give each room a subnet of its own":
        "给每个实训室一个自己的子网",
    "give each room its own lab_state_dir, or none":
        "给每个实训室一个自己的 lab_state_dir，或者不设",
    "in a campus inventory (several rooms): the room(s) to act on (default: every room, for the commands that take several)":
        "校园清单（多个实训室）中要操作的实训室（默认：可处理多个实训室的命令处理全部实训室）",
    "in a campus inventory: only these rooms (default: every room)":
        "校园清单中只看这些实训室（默认：全部）",
    "put each room's hosts in one group that holds no other room's (docs/campus.md)":
        "把每个实训室的主机放进一个只属于它的组（docs/campus.md）",
    "rooms {a} and {b} share addresses ({sa}, {sb})":
        "实训室 {a} 和 {b} 的地址重叠（{sa}，{sb}）",
    "rooms {a} and {b} share the state directory {dir}":
        "实训室 {a} 和 {b} 共用状态目录 {dir}",
    "the hosts of room {room} are in no group of their own":
        "实训室 {room} 的主机不在一个只属于它的组中",
    "{inventory} has no room {name}: it holds {names}":
        "{inventory} 中没有实训室 {name}：其中有 {names}",
    "{inventory} holds {n} rooms ({names}): choose one with --room":
        "{inventory} 中有 {n} 个实训室（{names}）：请用 --room 选择一个",
    # the desktop's values (lab_desktop)
    "write a UTF-8 locale such as zh_CN.UTF-8 or en_US.UTF-8":
        "写一个 UTF-8 区域设置，如 zh_CN.UTF-8 或 en_US.UTF-8",
    "a UTF-8 locale":
        "UTF-8 区域设置",
    "an X server (X, or an absolute path)":
        "X 服务器（X，或一个绝对路径）",
    "write X, or the path of an X server such as /usr/bin/Xorg":
        "写 X，或 X 服务器的路径，如 /usr/bin/Xorg",
    "an input method engine's name":
        "输入法引擎的名称",
    "use fcitx5's names, e.g. keyboard-us or pinyin":
        "使用 fcitx5 的名称，如 keyboard-us 或 pinyin",
    "a launcher's file name":
        "启动器的文件名",
    "use 1-41 lower-case letters, digits or '-', starting with a letter":
        "使用 1-41 个小写字母、数字或 '-'，以字母开头",
    "one line of a launcher ({key})":
        "启动器的一行（{key}）",
    "write each launcher's values on one line":
        "启动器的每个值都写在一行内",
    "# add to the room's vault (ansible-vault edit …/vault.yml):":
        "# 加入本教室的 vault（ansible-vault edit …/vault.yml）：",
    "A message to {target} (Enter sends, Escape cancels):":
        "发给 {target} 的消息（回车发送，Esc 取消）：",
    "Lock":
        "锁屏",
    "Lock room":
        "全室锁屏",
    "Lock the screens of {target}?":
        "锁定 {target} 的屏幕？",
    "Message":
        "消息",
    "Screenshot":
        "截屏",
    "Unlock":
        "解锁",
    "Unlock room":
        "全室解锁",
    "Unlock the screens of {target}?":
        "解锁 {target} 的屏幕？",
    "Veyon Master's configuration for room {room} written to {path}: import it with `veyon-cli config import {path}`":
        "教室 {room} 的 Veyon Master 配置已写入 {path}：用 `veyon-cli config import {path}` 导入",
    "Veyon does not answer on {address}:{port}: is the seat on, and veyon-service running with a student's session (site.yml --tags lab_veyon)?":
        "{address}:{port} 上的 Veyon 没有应答：该机位是否开机、veyon-service 是否在学生会话中运行（site.yml --tags lab_veyon）？",
    "Veyon refused the connection: the seat does not accept the room's key (re-run site.yml --tags lab_veyon on it)":
        "Veyon 拒绝了连接：该机位不接受本教室的密钥（对它重新运行 site.yml --tags lab_veyon）",
    "a message needs a text of 1 to {n} characters":
        "消息须为 1 到 {n} 个字符",
    "export: the file to write (default: standard output)":
        "export：写入的文件（默认：标准输出）",
    "give the admin host's and the teacher PC's addresses":
        "请填写管理主机和教师机的地址",
    "message: the text the students see":
        "message：学生看到的文字",
    "no Veyon on this seat (lab_veyon_enabled is false, or it is a server)":
        "该机位没有 Veyon（lab_veyon_enabled 为 false，或它是服务器）",
    "no screen action {action}: use one of {actions}":
        "没有屏幕操作 {action}：请用 {actions} 之一",
    "room {room} has no Veyon key: set vault_lab_veyon_private_key in the room's vault (docs/classroom.md says how to make one)":
        "教室 {room} 没有 Veyon 密钥：请在本教室的 vault 中设置 vault_lab_veyon_private_key（生成方法见 docs/classroom.md）",
    "seconds a seat may take":
        "每个机位最多等待的秒数",
    "the students' screens through Veyon: lock, unlock, message, shot; keygen, export":
        "通过 Veyon 管理学生屏幕：锁屏、解锁、消息、截屏；生成密钥、导出配置",
    "veyon-cli is not installed on the admin host: install Debian's veyon-master (apt-get install veyon-master libqca-qt5-2-plugins)":
        "管理主机上没有安装 veyon-cli：请安装 Debian 的 veyon-master（apt-get install veyon-master libqca-qt5-2-plugins）",
    "write a list of IPv4 addresses: [10.20.0.1, 10.20.0.2]":
        "请写成 IPv4 地址列表：[10.20.0.1, 10.20.0.2]",
    "lock":
        "锁屏",
    "unlock":
        "解锁",
    "message":
        "消息",
    "screens":
        "屏幕",
    "k: lock the selection's screens (K: the room)   u: unlock (U: the room)":
        "k：锁定所选机位的屏幕（K：全室）   u：解锁（U：全室）",
    "m: send the selection (or the room) a message   v: a screenshot of the seat":
        "m：给所选机位（或全室）发消息   v：该机位截屏",
    "Veyon could not connect: {why}":
        "Veyon 无法连接：{why}",
    "Veyon could not do it: {why}":
        "Veyon 未能执行：{why}",
    "Veyon gave no picture of the screen within {seconds:.0f} s":
        "Veyon 未在 {seconds:.0f} 秒内给出屏幕画面",
    "Veyon took the unlock, but the seat's screen still shows the lock screen: look at it, and unlock it again":
        "Veyon 已接受解锁，但该座位屏幕仍显示锁屏画面：请查看该屏幕，并再次解锁",
    "Veyon took it, but the seat's screen did not change ({share:.1%} of it): the students do not see it (docs/classroom.md: Veyon's windows on Debian 12)":
        "Veyon 已接受，但该机位的屏幕没有变化（变化 {share:.1%}）：学生看不到（见 docs/classroom.md：Debian 12 上 Veyon 的窗口）",
    "Veyon's WebAPI did not start on the admin host (port {port})":
        "管理主机上的 Veyon WebAPI 未能启动（端口 {port}）",
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
