"""Load a room's Ansible inventory through Ansible's own API and validate it.

Every problem is collected (not only the first) and reported as one line that
names the file, the host, the variable and the fix. Nothing is touched.

Validation is the gate a technician runs on an inventory they were handed, so it never
runs anything the inventory says: only the inventory plugins that parse files are
enabled (no scripts), and a template that could run a command on this machine (a
lookup other than reading a file, an environment variable or another variable) is
refused before any value is rendered. Every value that ends up in a shell, SQL, cron,
systemd, a configuration file or a path is checked against a strict pattern here (and
again by the roles' own validation, so plain ansible-playbook is just as safe).
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import os
import re
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import yaml

from labctl.core import paths
from labctl.core.errors import InventoryError, NoRoomChosen, Problem
from labctl.core.room import LINUX_FAMILIES, OS_FAMILIES, RESET_METHODS, Room, Seat
from labctl.core.switch import as_int as _int
from labctl.i18n import _

os.environ.setdefault("ANSIBLE_CONFIG", str(paths.PROJECT / "ansible.cfg"))
os.environ.setdefault("ANSIBLE_INVENTORY_UNPARSED_FAILED", "true")

MAC_RE = re.compile(r"^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$", re.I)
HOSTNAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.I)
ROOM_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,10}$")
YAML_SUFFIXES = (".yml", ".yaml", ".json")

HOST_REQUIRED = ("ansible_host", "lab_mac", "lab_os_family", "lab_switch_port", "lab_vlan",
                 "lab_reset_method")
RENDERED = {*HOST_REQUIRED, "lab_seat", "lab_room_name", "lab_room_subnet", "lab_room_gateway",
            "lab_room_rows", "lab_room_columns", "lab_room_virtual"}
ROOM_REQUIRED = ("lab_room_name", "lab_room_subnet", "lab_room_rows", "lab_room_columns")
# Accounts (Linux, MySQL) and databases: what useradd, MariaDB's grants and the course-data
# loader all take without quoting, and short enough that `_next_<student>_<database>` fits
# MariaDB's 64 characters. No leading `_` (labctl's own hidden copies start with one).
STUDENT_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
ADMIN_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
DATABASE_RE = re.compile(r"^[a-z][a-z0-9_]{0,14}$")
COURSE_DB_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
TIMEZONE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+){0,2}$")
WINDOWS_TZ_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 ().+-]{0,63}$")
PROXY_RE = re.compile(r"^(https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?)?$")
NTP_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
INSTALL_DISK_RE = re.compile(r"^/dev/[a-z0-9/]{1,40}$")
# the desktop (lab_desktop): what reaches /etc/locale.gen, a sourced shell file, PAM's
# environment, fcitx5's profile and the .desktop launchers
LOCALE_RE = re.compile(r"^[A-Za-z]{2,3}(_[A-Z]{2})?\.UTF-8$")
ENGINE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
XSERVER_RE = re.compile(r"^(X|/[A-Za-z0-9/_.-]+)$")
LAUNCHER_FILE_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
ONE_LINE_RE = re.compile(r"^[^\n\r]{1,200}$")
CONSOLE_RE = re.compile(r"^((tty[0-9]{1,2})|(ttyS[0-9](,[0-9]{4,6}([noe][5-8])?)?))?$")
PLAIN_DIR_RE = re.compile(r"^(?!.*/\.\.)(/[A-Za-z0-9_-][A-Za-z0-9_.-]{0,40}){2,8}$")
# overlayroot's setting: sourced as shell in the initramfs (roles/lab_reset/vars/main.yml)
OVERLAYROOT_RE = re.compile(r"^(tmpfs|disabled)(:[a-z]+=[A-Za-z0-9_./-]+(,[a-z]+=[A-Za-z0-9_./-]+)*)?$")
SKEL_PATH_RE = re.compile(r"^[^/\x00-\x1f\x7f][^\x00-\x1f\x7f]{0,254}$")
# Lookups validation lets a template make: reading a file (the room's own public key), an
# environment variable or another variable. Anything else (pipe, lines, url, template,
# a collection's lookup, or a name that is not written out) is refused unrendered.
SAFE_LOOKUPS = {f"{prefix}{name}" for prefix in ("", "ansible.builtin.")
                for name in ("file", "env", "vars")}
LOOKUP_NAMES = ("lookup", "query", "q")
# Inventory plugins that only parse files (no `script`, no `auto` loading any plugin).
PARSING_PLUGINS = ["host_list", "yaml", "ini", "toml"]
# Variables whose (names-only) values validation renders and checks.
NAME_LISTS = ("lab_common_students", "lab_mysql_students", "lab_windows_common_students")
CHECKED = ("lab_common_timezone", "lab_windows_common_timezone", "lab_common_admin_user",
           "ansible_user", "lab_reset_students", "lab_coursedata_students",
           "lab_windows_reset_students", "lab_reset_databases", "lab_mysql_student_databases",
           "lab_mysql_course_databases", "lab_common_apt_proxy", "lab_common_ntp_servers",
           "lab_reset_skel_files", "lab_desktop_language", "lab_desktop_locales",
           "lab_desktop_im_engines", "lab_desktop_launchers", "lab_desktop_xserver",
           "lab_veyon_masters")


def normalise_mac(value: str) -> str:
    return str(value).strip().lower().replace("-", ":")


# --------------------------------------------------------------------------- YAML


class _StrictLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys and accepts Ansible's tags."""


def _construct_mapping(loader, node, deep=False):
    seen = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
for _tag in ("!vault", "!unsafe", "!vault-encrypted"):
    _StrictLoader.add_constructor(_tag, lambda loader, node: loader.construct_scalar(node))


def _inventory_files(source: Path) -> list[Path]:
    if source.is_file():
        return [source]
    return sorted(p for p in source.rglob("*") if p.is_file() and not p.name.startswith("."))


def _script_problems(source: Path) -> list[Problem]:
    """An executable file in the inventory would be run by Ansible's script plugin:
    validation runs none, and says so."""
    return [Problem(str(path), None, None, _("is an executable inventory script, and "
                                             "validation runs nothing from an inventory"),
                    _("save what it prints as a plain file (ansible-inventory -i {name} "
                      "--list -y > hosts.yml) and remove its execute bit", name=path.name))
            for path in _inventory_files(source)
            if os.access(path, os.X_OK) and path.suffix not in (*YAML_SUFFIXES, ".ini")]


def _yaml_problems(source: Path) -> list[Problem]:
    problems = []
    for path in _inventory_files(source):
        if path.suffix not in YAML_SUFFIXES:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(path), None, None, _("cannot be read: {error}", error=exc),
                                    _("make it a readable UTF-8 text file")))
            continue
        if text.startswith("$ANSIBLE_VAULT"):
            continue
        try:
            yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            what = getattr(exc, "problem", None) or str(exc)
            problems.append(Problem(f"{path}{line}", None, None, _("malformed YAML: {what}", what=what),
                                    _("correct the YAML at that line (indentation, quotes, colons)")))
    return problems


# --------------------------------------------------------------------------- where


class _Locator:
    """Finds the inventory file that defines (or should define) a variable."""

    def __init__(self, source: Path):
        self.source = source
        self.base = source if source.is_dir() else source.parent
        self.files = _inventory_files(source)
        self._text: dict[Path, str] = {}

    def _read(self, path: Path) -> str:
        if path not in self._text:
            try:
                self._text[path] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                self._text[path] = ""
        return self._text[path]

    def _vars_files(self, kind: str, name: str) -> list[Path]:
        root = self.base / kind
        found = [p for p in (root / name, *(root / f"{name}{s}" for s in YAML_SUFFIXES))
                 if p.exists()]
        out = []
        for p in found:
            out.extend(sorted(q for q in p.rglob("*") if q.is_file()) if p.is_dir() else [p])
        return out

    def _sources_naming(self, word: str) -> list[Path]:
        pattern = re.compile(rf"(?<![\w.-]){re.escape(word)}(?![\w.-])")
        return [p for p in self.files
                if "group_vars" not in p.parts and "host_vars" not in p.parts
                and pattern.search(self._read(p))]

    def rel(self, path: Path) -> str:
        try:
            return os.path.relpath(path)
        except ValueError:
            return str(path)

    def host_file(self, host: str) -> str:
        found = self._sources_naming(host)
        return self.rel(found[0] if found else self.source)

    def where(self, host: str | None, variable: str, groups: list[str]) -> str:
        """The most specific file that mentions the variable, else where to add it."""
        candidates: list[Path] = []
        if host:
            candidates += self._vars_files("host_vars", host)
            candidates += self._sources_naming(host)
        for group in [*groups, "all"]:
            candidates += self._vars_files("group_vars", group)
        candidates += [p for p in self.files if p not in candidates
                       and "group_vars" not in p.parts and "host_vars" not in p.parts]
        word = re.compile(rf"\b{re.escape(variable.split('.')[0])}\b")
        for path in candidates:
            if word.search(self._read(path)):
                return self.rel(path)
        if host:
            return self.host_file(host)
        return self.rel(self._vars_files("group_vars", "all")[0]
                        if self._vars_files("group_vars", "all") else self.source)


# --------------------------------------------------------------------------- load


_VAULT_FILES: set[str] = set()  # the vault password files whose secrets this process holds


def _loader(source: Path):
    """Ansible's DataLoader, able to open the inventory's vault."""
    from ansible.parsing.dataloader import DataLoader

    loader = DataLoader()
    vault_file = paths.vault_password_file(source)
    if vault_file is not None:
        from ansible.parsing.vault import VaultSecretsContext, get_file_vault_secret
        context = VaultSecretsContext.current(optional=True)
        if context is None:  # made once per process (ansible-core's rule)
            from ansible.cli import CLI
            secrets = CLI.setup_vault_secrets(loader, vault_ids=[],
                                              vault_password_files=[vault_file])
        else:  # another room in the same process (status over rooms, room init): its secret too
            secrets = context.secrets
            if str(vault_file) not in _VAULT_FILES:
                secret = get_file_vault_secret(filename=str(vault_file), vault_id="default",
                                               loader=loader)
                secret.load()
                secrets.append(("default", secret))
        _VAULT_FILES.add(str(vault_file))
        loader.set_vault_secrets(secrets)
    return loader


def _ansible_hosts(source: Path) -> tuple[list[tuple[str, list[str], dict]], list[Problem]]:
    """(host, groups, vars) for every host, read through Ansible's inventory API."""
    from ansible.errors import AnsibleError
    from ansible.inventory.manager import InventoryManager
    from ansible.template import Templar
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    from ansible import constants as C

    loader = _loader(source)
    enabled = C.INVENTORY_ENABLED
    try:
        C.INVENTORY_ENABLED = PARSING_PLUGINS  # no inventory script runs during validation
        inventory = InventoryManager(loader=loader, sources=[str(source)])
        manager = VariableManager(loader=loader, inventory=inventory)
        every = [(host, manager.get_vars(host=host, include_hostvars=False))
                 for host in inventory.get_hosts("all")]
        refused = _unsafe_templates(source, every)
        if refused:
            return [], refused  # nothing rendered: a refused template never runs
        result, unrenderable = [], []
        hostvars = HostVars(inventory=inventory, variable_manager=manager, loader=loader)
        for host, hv in every:
            templar = Templar(loader=loader, variables={**hv, "hostvars": hostvars})
            lab = {}
            for key, value in hv.items():
                if key.startswith("lab_") or key in ("ansible_host", "ansible_user",
                                                     "ansible_connection", "ansible_port"):
                    # Only what labctl checks is rendered: other values may look things
                    # up on the controller (files, vault) that validation must not need.
                    try:
                        if key in NAME_LISTS:
                            value = _names_only(templar, value)
                        elif key in CHECKED or (key in RENDERED and _is_template(value)):
                            value = templar.template(value)
                    except AnsibleError as exc:
                        first = str(exc).strip().splitlines()[0]
                        unrenderable.append((str(host.name), str(key), first))
                        continue
                    lab[str(key)] = _plain(value)
            groups = [str(g.name) for g in sorted(host.get_groups(), key=lambda g: -g.depth)
                      if g.name not in ("all", "ungrouped")]
            result.append((str(host.name), groups, lab))
    except AnsibleError as exc:
        first = str(exc).strip().splitlines()[0]
        if "vault" in first.lower() and ("password" in first.lower() or "secret" in first.lower()):
            beside = (source if source.is_dir() else source.parent)
            return [], [Problem(str(source), None, None,
                                _("its vault cannot be opened: {error}", error=first),
                                _("put the room's vault password in {path}.vault-pass (0600, "
                                  "outside the repository, e.g. a link) or set "
                                  "ANSIBLE_VAULT_PASSWORD_FILE (docs/security.md)", path=beside))]
        return [], [Problem(str(source), None, None, _("Ansible cannot load it: {error}", error=first),
                            _("correct the inventory so `ansible-inventory -i` can read it"))]
    finally:
        C.INVENTORY_ENABLED = enabled
    if not result:
        return [], [Problem(str(source), None, None, _("no hosts found"),
                            _("list the room's server and terminals (see inventory/demo)"))]
    loc = _Locator(source)
    return result, [Problem(loc.where(host, key, []), host, key,
                            _("cannot be rendered: {why}", why=why),
                            _("define what it refers to, or write the value out"))
                    for host, key, why in unrenderable]


def _is_template(value) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _names_only(templar, value):
    """A list of accounts with each `name` rendered and nothing else (the passwords beside
    them are secrets validation has no need to open)."""
    if _is_template(value):
        value = templar.template(value)
    if not isinstance(value, (list, tuple)):
        return value
    out = []
    for item in value:
        if isinstance(item, dict) and "name" in item:
            name = item["name"]
            out.append({"name": templar.template(name) if _is_template(name) else name})
        else:
            out.append(item)
    return out


@functools.lru_cache(maxsize=4096)
def _template_refusal(text: str) -> str | None:
    """Why a template must not be rendered by validation, or None when it may be."""
    from jinja2 import Environment, nodes
    from jinja2.exceptions import TemplateSyntaxError

    try:
        tree = Environment().parse(text)
    except TemplateSyntaxError as exc:
        return f"it is not a template Ansible can read ({exc.message})"
    allowed = set()
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name in LOOKUP_NAMES:
            first = call.args[0] if call.args else None
            if not (isinstance(first, nodes.Const) and str(first.value) in SAFE_LOOKUPS):
                what = repr(first.value) if isinstance(first, nodes.Const) else "a computed name"
                return f"it calls {call.node.name}({what}, …), which could run a command here"
            allowed.add(id(call.node))
    for name in tree.find_all(nodes.Name):
        if name.name in LOOKUP_NAMES and id(name) not in allowed:
            return f"it uses {name.name} other than as a direct call"
    return None


def _unsafe_templates(source: Path, every) -> list[Problem]:
    """A problem for every variable whose template validation would not render."""
    loc, problems, seen = _Locator(source), [], set()

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for k, v in value.items():
                yield from strings(k)
                yield from strings(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                yield from strings(v)

    for host, hv in every:
        groups = [g.name for g in host.get_groups()]
        for key, value in hv.items():
            for text in strings(value):
                if not _is_template(text):
                    continue
                why = _template_refusal(str(text))
                if why and (key, why) not in seen:
                    seen.add((key, why))
                    problems.append(Problem(loc.where(host.name, key, groups), None, str(key),
                                            _("refused unrendered: {why}", why=why),
                                            _("validation runs nothing from an inventory: use "
                                              "plain values, or lookup('file', …) for a file's "
                                              "contents")))
    return problems


def _plain(value):
    """Ansible's tagged values as plain Python (str, int, bool, float, list, dict)."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


_PLUGINS: list[bool] = []


def _plugins() -> None:
    """Ansible's plugin loader, once a process, as ansible-playbook sets it up."""
    if not _PLUGINS:
        from ansible.plugins.loader import init_plugin_loader
        init_plugin_loader()
        _PLUGINS.append(True)


def render_vars(inventory: str | Path, hosts: list[str], names, defaults: list[Path] = (),
                raw_on_error: bool = False) -> dict[str, dict]:
    """Each host's values of the named variables (a list, or a test of a name), templated as
    a playbook would see them (vault included): {host: {name: value}}; a variable a host
    lacks is left out. defaults: YAML files of variables that templates may use (role
    defaults: an inventory value wins over them). raw_on_error: a value that cannot be templated here (it needs a seat's
    facts) is kept as its template, for the seat's own run to finish."""
    from ansible.errors import AnsibleError, AnsibleUndefinedVariable
    from ansible.inventory.manager import InventoryManager
    from ansible.template import Templar
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager

    inventory_path = Path(inventory)
    _plugins()  # lookups (the mirror's checksums, the room's public key) are done here
    loader = _loader(Path(inventory))
    inventory = InventoryManager(loader=loader, sources=[str(inventory)])
    manager = VariableManager(loader=loader, inventory=inventory)
    hostvars = HostVars(inventory=inventory, variable_manager=manager, loader=loader)
    wanted = names if callable(names) else set(names).__contains__
    base: dict = {}
    for f in defaults:
        base.update(loader.load_from_file(str(f), trusted_as_template=True) or {})
    every = {name: manager.get_vars(host=inventory.get_host(name), include_hostvars=False)
             for name in hosts}
    # a value that is the same for every host is templated once (a room's 60 seats compile
    # and render each of their templates once, not 60 times)
    per_host = _host_bound([{**base, **hv} for hv in every.values()])
    shared: dict = {}
    rendered = {}
    for name, hv in every.items():
        templar = Templar(loader=loader, variables={**base, **hv, "hostvars": hostvars})
        rendered[name] = {}
        for n in [n for n in hv if wanted(n)]:
            if n in shared:
                rendered[name][n] = copy.deepcopy(shared[n])
                continue
            try:
                rendered[name][n] = _plain(templar.template(hv[n]))
            except AnsibleUndefinedVariable:
                if not raw_on_error:
                    raise
                rendered[name][n] = _plain(hv[n])
            except AnsibleError as exc:
                if not raw_on_error:
                    raise
                raise InventoryError([Problem(str(inventory_path), name, n, str(exc).splitlines()[0],
                                              _("make the value renderable on the admin host "
                                                "(a lookup's file must exist here)"))]) from None
            if n not in per_host:  # the next hosts copy it; nothing changes it before then
                shared[n] = rendered[name][n]
    return rendered


_JINJA: list = []
# names whose value is never the same from host to host (hostvars is: every host sees all
# of them), and templates whose result is not a function of the variables they name
_HOST_NAMES = {"inventory_hostname", "inventory_hostname_short", "group_names"}
_UNSTABLE = re.compile(r"\b(random|shuffle|now|uuid|password|pipe)\b")


def _names_in(value) -> set[str] | None:
    """The variables a raw value's templates name (None: a template that can't be read
    here, or whose result changes from one rendering to the next)."""
    import jinja2
    import jinja2.meta
    if not _JINJA:
        _JINJA.append(jinja2.Environment())
    names: set[str] = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack += [*v.keys(), *v.values()]
        elif isinstance(v, (list, tuple)):
            stack += list(v)
        elif isinstance(v, str) and ("{{" in v or "{%" in v):
            if _UNSTABLE.search(v):
                return None
            try:
                names |= jinja2.meta.find_undeclared_variables(_JINJA[0].parse(str(v)))
            except jinja2.TemplateSyntaxError:
                return None
    return names


def _host_bound(hosts_vars: list[dict]) -> set[str]:
    """The variables whose rendered value may differ from host to host: a raw value that
    differs, a template naming one of those (through any chain of variables), or one that
    can't be told."""
    first = hosts_vars[0] if hosts_vars else {}
    keys = set().union(*hosts_vars) if hosts_vars else set()
    bound = set(_HOST_NAMES) | {k for k in keys if any(k not in hv or hv[k] != first.get(k)
                                                        for hv in hosts_vars)}
    refs = {k: _names_in(first[k]) for k in keys - bound}
    grew = True
    while grew:
        grew = False
        for k, names in refs.items():
            if k not in bound and (names is None or names & bound):
                bound.add(k)
                grew = True
    return bound


def load_room(inventory: str | Path, name: str | None = None) -> Room:
    """Load and validate an inventory; raise InventoryError listing every problem. A
    campus inventory (several rooms) needs the room's name."""
    rooms = load_rooms(inventory)
    if name is None and len(rooms) == 1:
        return rooms[0]
    for room in rooms:
        if room.name == name:
            return room
    names = ", ".join(r.name for r in rooms)
    if name is None:
        raise NoRoomChosen(_("{inventory} holds {n} rooms ({names}): choose one with --room",
                             inventory=inventory, n=len(rooms), names=names))
    raise NoRoomChosen(_("{inventory} has no room {name}: it holds {names}",
                         inventory=inventory, name=name, names=names))


def load_rooms(inventory: str | Path, names: list[str] | None = None) -> list[Room]:
    """Every room of an inventory (a campus inventory has one group per room: docs/
    campus.md), or the named ones, each validated; InventoryError lists every problem of
    every room. A host belongs to the room its lab_room_name names."""
    source = Path(inventory)
    if not source.exists():
        raise InventoryError([Problem(str(source), None, None, _("no such file or directory"),
                                      _("pass -i with a path to the room's inventory"))])
    problems = _yaml_problems(source) + _script_problems(source)
    if problems:
        raise InventoryError(problems)
    hosts, problems = _ansible_hosts(source)
    if not hosts:
        raise InventoryError(problems)
    problems += _demo_vault_problems(source, bool(hosts[0][2].get("lab_room_virtual", False)))
    by_room: dict[str, list] = {}
    for host in hosts:
        by_room.setdefault(str(host[2].get("lab_room_name", "")), []).append(host)
    if len(by_room) == 1:
        rooms = [_validate(source, hosts, problems)]
    else:
        rooms = _campus(source, by_room, problems)
    if names:
        unknown = sorted(set(names) - {r.name for r in rooms})
        if unknown:
            raise NoRoomChosen(_("{inventory} has no room {name}: it holds {names}",
                                 inventory=inventory, name=", ".join(unknown),
                                 names=", ".join(r.name for r in rooms)))
        rooms = [r for r in rooms if r.name in names]
    return rooms


def _campus(source: Path, by_room: dict[str, list], problems: list[Problem]) -> list[Room]:
    """The rooms of a campus inventory, each validated on its own hosts, then what rooms
    must not share: a subnet, a state directory. Each room's hosts are a group of their own
    (the room's group), which limits every Ansible run for the room."""
    rooms, problems = [], list(problems)
    every = {name: [set(g) for _h, g, _v in hosts] for name, hosts in by_room.items()}
    for name, hosts in by_room.items():
        others = set().union(*(g for n, gs in every.items() if n != name for g in gs))
        shared = set.intersection(*every[name]) - others  # on all of its hosts, no other's
        own = [g for g in hosts[0][1] if g in shared]  # deepest first
        try:
            room = _validate(source, hosts)
        except InventoryError as exc:
            problems += exc.problems
            continue
        if not own:
            problems.append(Problem(str(source), None, None, _(
                "the hosts of room {room} are in no group of their own", room=name or "?"),
                _("put each room's hosts in one group that holds no other room's "
                  "(docs/campus.md)")))
            continue
        rooms.append(replace(room, group=own[0]))
    for i, a in enumerate(rooms):
        for b in rooms[i + 1:]:
            if a.subnet.overlaps(b.subnet):
                problems.append(Problem(str(source), None, "lab_room_subnet", _(
                    "rooms {a} and {b} share addresses ({sa}, {sb})", a=a.name, b=b.name,
                    sa=a.subnet, sb=b.subnet), _("give each room a subnet of its own")))
            if a.state.dir == b.state.dir:
                problems.append(Problem(str(source), None, "lab_state_dir", _(
                    "rooms {a} and {b} share the state directory {dir}", a=a.name, b=b.name,
                    dir=a.state.dir), _("give each room its own lab_state_dir, or none")))
    if problems:
        raise InventoryError(problems)
    return rooms


def _demo_vault_problems(source: Path, virtual: bool) -> list[Problem]:
    """A real room whose secrets open with the demo's public vault password is refused."""
    if virtual or not paths.DEMO_VAULT_PASSWORD.is_file():
        return []
    from ansible.errors import AnsibleError
    from ansible.parsing.vault import VaultLib, VaultSecret

    demo = paths.DEMO_VAULT_PASSWORD.read_bytes().strip()
    fix = _("make the room's own vault password and re-encrypt its secrets with it "
            "(docs/security.md: a room's secrets)")
    problems = []
    password = paths.vault_password_file(source)
    if password is not None and password.read_bytes().strip() == demo:
        problems.append(Problem(str(password), None, None, _("a real room uses the demo's "
                                                             "vault password, which is public"), fix))
    lib = VaultLib([("default", VaultSecret(demo))])
    for path in _inventory_files(source):
        data = path.read_bytes()
        if not data.startswith(b"$ANSIBLE_VAULT"):
            continue
        try:
            lib.decrypt(data)
        except AnsibleError:
            continue
        problems.append(Problem(os.path.relpath(path), None, None, _(
            "a real room's secrets are encrypted with the demo's vault password, which is public"),
            fix))
    return problems


def _validate(source: Path, hosts: list[tuple[str, list[str], dict]],
              problems: list[Problem] | None = None) -> Room:
    """The room from its rendered hosts, or InventoryError with every problem: the room's
    own variables, each host's, what must be unique, and the switch model."""
    check = _Validation(source, problems)
    # Room-wide variables: taken from the first host; group `all` gives them to every host.
    room_vars = hosts[0][2]
    name, subnet, gateway, grid = check.room(room_vars)
    # The room's switch is managed by switch.yml, not a seat (docs/switch.md).
    hosts = [h for h in hosts if "switches" not in h[1]]
    seats = [seat for seat in (check.host(host, groups, hv, subnet, gateway, grid)
                               for host, groups, hv in hosts) if seat is not None]
    check.duplicates(hosts)
    if "lab_switch" in room_vars:
        check.switch(room_vars["lab_switch"], hosts)
    if check.problems:
        raise InventoryError(check.problems)
    return Room(name=name, inventory=source.resolve(), subnet=subnet, gateway=gateway,
                rows=grid["lab_room_rows"], columns=grid["lab_room_columns"],
                virtual=bool(room_vars.get("lab_room_virtual", False)), seats=tuple(seats),
                vars=room_vars)


class _Validation:
    """The problems of one inventory, collected part by part, each where it is written."""

    def __init__(self, source: Path, problems: list[Problem] | None) -> None:
        self.source, self.loc = source, _Locator(source)
        self.problems = list(problems or [])
        self.said: set[tuple[str, str]] = set()
        # what must be unique (IP, MAC, hostname, seat position): value -> its hosts
        self.owners: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))

    def bad(self, host, groups, var, message, fix) -> None:
        self.problems.append(Problem(self.loc.where(host, var, groups), host, var, message, fix))

    def bad_once(self, host, groups, var, message, fix) -> None:
        """Once per variable and message: a group's value is wrong on all its hosts."""
        if (var, message) not in self.said:
            self.said.add((var, message))
            self.bad(host, groups, var, message, fix)

    # ------------------------------------------------------------------ the room
    def room(self, room_vars: dict):
        """The room's own variables: (name, subnet, gateway, grid), None where wrong."""
        bad = functools.partial(self.bad, None, [])
        for var in ROOM_REQUIRED:
            if var not in room_vars:
                bad(var, _("required room variable is missing"),
                    _("set {var} in group_vars/all.yml (see docs/inventory.md)", var=var))
        name = str(room_vars.get("lab_room_name", ""))
        if name and not ROOM_NAME_RE.match(name):
            bad("lab_room_name", _("{value} is not a short room name", value=repr(name)),
                _("use 1-11 lower-case letters, digits or '-', starting with a letter"))
        state_dir = room_vars.get("lab_state_dir")
        if state_dir is not None:
            problem = state_dir_problem(state_dir, self.source)
            if problem:
                bad("lab_state_dir", problem,
                    _("give an absolute directory on the admin host, outside the project, made of "
                      "letters, digits, '_', '-', '.' and '/', e.g. /var/lib/labctl/rooms/b305"))
        subnet = None
        if "lab_room_subnet" in room_vars:
            try:
                subnet = ipaddress.IPv4Network(str(room_vars["lab_room_subnet"]))
            except ValueError as exc:
                bad("lab_room_subnet", _("not an IPv4 network: {error}", error=exc),
                    _("write the room's subnet as ADDRESS/PREFIX, e.g. 10.77.0.0/24"))
            if subnet is not None and subnet.prefixlen > 29:
                bad("lab_room_subnet", _("{subnet} is too small for a room (a gateway, a "
                                         "server and terminals)", subnet=subnet),
                    _("give the room a subnet of /29 or larger, e.g. 10.77.0.0/24"))
                subnet = None
        grid = {}
        for var in ("lab_room_rows", "lab_room_columns"):
            if var in room_vars:
                n = _int(room_vars[var])
                if n is None or n < 1:
                    bad(var, _("{value} is not a positive whole number", value=repr(room_vars[var])),
                        _("set {var} to a whole number of 1 or more (the room's rows or columns)",
                          var=var))
                else:
                    grid[var] = n
        gateway = self._gateway(room_vars, subnet) if subnet is not None else None
        if "lab_timetable" in room_vars:
            from labctl.core.timetable import Timetable, TimetableError
            try:
                Timetable.parse(room_vars["lab_timetable"])
            except TimetableError as exc:
                bad("lab_timetable", str(exc), _("see docs/reset.md for the timetable's form"))
        return name, subnet, gateway, grid

    def _gateway(self, room_vars: dict, subnet):
        raw = room_vars.get("lab_room_gateway", str(next(subnet.hosts())))
        try:
            gateway = ipaddress.IPv4Address(str(raw))
            if gateway not in subnet:
                raise ValueError(_("{gateway} is outside {subnet}", gateway=gateway, subnet=subnet))
            return gateway
        except ValueError as exc:
            self.bad(None, [], "lab_room_gateway", _("bad gateway: {error}", error=exc),
                     _("give an address inside {subnet}, e.g. {example}", subnet=subnet,
                       example=next(subnet.hosts())))
            return None

    # ------------------------------------------------------------------ a host
    def host(self, host: str, groups: list[str], hv: dict, subnet, gateway, grid) -> Seat | None:
        """One server's or terminal's variables: its Seat, or None where one is wrong."""
        hbad = functools.partial(self.bad, host, groups)
        if not HOSTNAME_RE.match(host):
            hbad("inventory_hostname", _("{value} is not a valid hostname", value=repr(host)),
                 _("use letters, digits and '-' only (e.g. pc01)"))
        self.owners["hostname"][host.lower()].append(host)
        is_server, is_terminal = "servers" in groups, "terminals" in groups
        if is_server == is_terminal:
            self.problems.append(Problem(
                self.loc.host_file(host), host, "groups",
                _("must be in exactly one of the groups servers and terminals"),
                _("list the host under `servers` or under `terminals`")))
        for var in list(HOST_REQUIRED) + (["lab_seat"] if is_terminal else []):
            if var not in hv:
                self.problems.append(Problem(
                    self.loc.host_file(host), host, var, _("required variable is missing"),
                    _("set {var} for this host or its group (docs/inventory.md)", var=var)))
        ip = self._address(host, hv, hbad, subnet, gateway)
        mac = self._mac(host, hv, hbad)
        os_family, method = self._os_and_reset(hv, hbad, is_terminal)
        vlan = _int(hv.get("lab_vlan"))
        if "lab_vlan" in hv and (vlan is None or not 1 <= vlan <= 4094):
            hbad("lab_vlan", _("{value} is not a VLAN id", value=repr(hv['lab_vlan'])),
                 _("use a whole number from 1 to 4094"))
        row = column = None
        if is_terminal and "lab_seat" in hv:
            row, column = self._position(host, hv, hbad, grid)
        for var, message, fix in value_problems(hv):
            self.bad_once(host, groups, var, message, fix)
        if ip is not None and mac and os_family in OS_FAMILIES and method in RESET_METHODS \
                and vlan is not None and (row is not None or not is_terminal):
            return Seat(name=host, ip=ip, mac=mac, os_family=os_family,
                        role="terminal" if is_terminal else "server",
                        reset_method=method, switch_port=str(hv.get("lab_switch_port")),
                        vlan=vlan, row=row, column=column, groups=tuple(groups), vars=hv)
        return None

    def _address(self, host, hv, hbad, subnet, gateway):
        if "ansible_host" not in hv:
            return None
        try:
            ip = ipaddress.IPv4Address(str(hv["ansible_host"]))
        except ValueError:
            hbad("ansible_host", _("{value} is not an IPv4 address", value=repr(hv['ansible_host'])),
                 _("write the terminal's address as four numbers, e.g. 10.77.0.101"))
            return None
        self.owners["IP"][str(ip)].append(host)
        if subnet is not None and (ip not in subnet or ip in (subnet.network_address,
                                                               subnet.broadcast_address)):
            hbad("ansible_host", _("{ip} is outside the room's subnet {subnet}", ip=ip, subnet=subnet),
                 _("give the host an address inside {subnet} or correct lab_room_subnet",
                   subnet=subnet))
        elif gateway is not None and ip == gateway:
            hbad("ansible_host", _("{ip} is the room's gateway (the admin host)", ip=ip),
                 _("give the host another address"))
        return ip

    def _mac(self, host, hv, hbad):
        if "lab_mac" not in hv:
            return None
        if not MAC_RE.match(str(hv["lab_mac"]).strip()):
            hbad("lab_mac", _("{value} is not a MAC address", value=repr(hv['lab_mac'])),
                 _("write six hex pairs, e.g. 52:54:00:77:01:01 (quote it in YAML)"))
            return None
        mac = normalise_mac(hv["lab_mac"])
        self.owners["MAC"][mac].append(host)
        return mac

    @staticmethod
    def _os_and_reset(hv, hbad, is_terminal) -> tuple[str, str]:
        os_family = str(hv.get("lab_os_family", ""))
        if "lab_os_family" in hv and os_family not in OS_FAMILIES:
            hbad("lab_os_family", _("unknown OS family {value}", value=repr(os_family)),
                 _("use one of: {choices}", choices=", ".join(OS_FAMILIES)))
        method = str(hv.get("lab_reset_method", ""))
        if "lab_reset_method" in hv:
            if method not in RESET_METHODS:
                hbad("lab_reset_method", _("unknown reset method {value}", value=repr(method)),
                     _("use one of: {choices}", choices=", ".join(RESET_METHODS)))
            elif os_family in LINUX_FAMILIES and method in ("uwf", "windows-profile"):
                hbad("lab_reset_method", _("{value} is for Windows seats", value=repr(method)),
                     _("use profile or reboot-restore on a Linux seat"))
            elif os_family == "windows" and method in ("profile", "reboot-restore"):
                hbad("lab_reset_method", _("{value} is for Linux seats", value=repr(method)),
                     _("use uwf or windows-profile on a Windows seat"))
            elif is_terminal and method == "none":
                hbad("lab_reset_method", _("a terminal must have a reset method"),
                     _("use profile or reboot-restore (uwf or windows-profile on Windows)"))
        return os_family, method

    def _position(self, host, hv, hbad, grid):
        seat = hv["lab_seat"]
        row = _int(seat.get("row")) if isinstance(seat, dict) else None
        column = _int(seat.get("column")) if isinstance(seat, dict) else None
        if row is None or column is None:
            hbad("lab_seat", _("{value} is not a seat position", value=repr(seat)),
                 _("write the seat as {row: R, column: C} with whole numbers"))
            return None, None
        self.owners["seat position"][f"row {row}, column {column}"].append(host)
        rows, cols = grid.get("lab_room_rows"), grid.get("lab_room_columns")
        if rows and cols and not (1 <= row <= rows and 1 <= column <= cols):
            hbad("lab_seat", _("row {row}, column {column} is outside the room's "
                               "{rows} x {columns} grid", row=row, column=column,
                               rows=rows, columns=cols),
                 _("move the seat inside the grid or enlarge lab_room_rows/lab_room_columns"))
            return None, None
        return row, column

    # ------------------------------------------------------------------ the whole room
    def duplicates(self, hosts) -> None:
        """An IP, MAC, host name or seat position used twice: said on each later host."""
        for what, values in self.owners.items():
            for value, names in values.items():
                for other in names[1:]:
                    var = {"IP": "ansible_host", "MAC": "lab_mac", "hostname": "inventory_hostname",
                           "seat position": "lab_seat"}[what]
                    groups = next(g for h, g, _hv in hosts if h == other)
                    label = {"IP": "IP", "MAC": "MAC", "hostname": _("hostname"),
                             "seat position": _("seat position")}[what]
                    self.bad(other, groups, var, _("duplicate {what} {value}, also on {other}",
                                                   what=label, value=value, other=names[0]),
                             _("give every host its own {what}", what=label))

    def switch(self, model, hosts) -> None:
        """The switch model and the hosts' ports (labctl.core.switch), each issue once."""
        from labctl.core.switch import plan
        _plan, issues = plan(model, hosts)
        reported = {(p.host, p.variable) for p in self.problems}
        for issue in issues:
            if (issue.host, issue.variable) in reported:
                continue  # e.g. a VLAN id out of range, already said above
            groups = next((g for h, g, _hv in hosts if h == issue.host), [])
            self.bad(issue.host, groups, issue.variable, issue.message, issue.fix)


# --------------------------------------------------------------------------- values


def _timezones() -> set[str]:
    import zoneinfo
    return zoneinfo.available_timezones()


def _names(value) -> list:
    """Account names from a list of names or of {name: …} items."""
    if not isinstance(value, (list, tuple)):
        return [value]
    return [item.get("name") if isinstance(item, dict) else item for item in value]


STATE_DIR_RE = re.compile(r"^(/[A-Za-z0-9_][A-Za-z0-9_.-]*)+$")


def state_dir_problem(value, source: Path) -> str | None:
    """Why a room's lab_state_dir cannot hold its secrets, or None. It names ssh's
    UserKnownHostsFile and Ansible's key and fact cache, so it is a plain absolute path, and
    it is not inside the project or the inventory (which are shared, e.g. through git)."""
    if not isinstance(value, str) or not STATE_DIR_RE.match(value) or "/../" in value + "/":
        return _("{value} is not a plain absolute directory", value=repr(value))
    where = Path(value)
    inventory = source.resolve() if source.is_dir() or not source.exists() else source.resolve().parent
    for tree in (paths.PROJECT, inventory):
        if where == tree or tree in where.parents:
            return _("{value} is inside {tree}, which is shared (the room's keys would be too)",
                     value=repr(value), tree=tree)
    return None


def value_problems(hv: dict) -> list[tuple[str, str, str]]:
    """(variable, message, fix) for every value of a host that would reach a shell, SQL,
    cron, systemd, a configuration file or a path without matching its strict pattern."""
    values = _Values(hv)
    values.timezone()
    values.plain(_account_rules())
    values.students()
    values.databases()
    values.lists(_name_list_rules())
    values.booleans()
    values.plain(_install_and_path_rules())
    values.skel_files()
    values.desktop()
    values.projectors()
    values.veyon()
    return values.out


def _account_rules():
    """(variable, pattern, what it must be, fix) for single values: time zone, accounts."""
    return (("lab_windows_common_timezone", WINDOWS_TZ_RE, _("a Windows time zone name"),
             _("use a name from `tzutil /l`, e.g. China Standard Time")),
            *((var, ADMIN_RE, _("an account name"),
               _("use 1-32 lower-case letters, digits, '_' or '-', starting with a letter"))
              for var in ("ansible_user", "lab_common_admin_user")))


def _name_list_rules():
    """(variable, pattern, what each item must be, fix) for lists of names: the MySQL
    databases and the NTP servers."""
    return (("lab_mysql_student_databases", DATABASE_RE, _("a student database name"),
             _("use 1-15 lower-case letters, digits or '_', starting with a letter")),
            ("lab_mysql_course_databases", COURSE_DB_RE, _("a course database name"),
             _("use 1-48 lower-case letters, digits or '_', starting with a letter")),
            ("lab_common_ntp_servers", NTP_RE, _("an NTP server's name or address"),
             _("give a host name or an IPv4 address")))


def _install_and_path_rules():
    """The same for the network install's settings, paths and the apt proxy."""
    return (
        ("lab_server_install_disk", INSTALL_DISK_RE, _("a disk (the installer takes it whole)"),
         _("name the disk, e.g. /dev/sda or /dev/nvme0n1")),
        ("lab_server_install_console", CONSOLE_RE,
         _("a console for the installer (on its kernel command line)"),
         _("write '' for the screen, or a serial port such as ttyS0,115200n8")),
        ("lab_server_hostkey_dir", PLAIN_DIR_RE,
         _("a plain absolute path (written into nginx's configuration, read by root)"),
         _("give a directory such as /var/lib/lab-install/hostkeys: letters, digits, "
           "'_', '-' and '.', no '..'")),
        ("lab_reset_overlayroot", OVERLAYROOT_RE,
         _("an overlayroot setting (sourced as shell in the initramfs)"),
         _("use tmpfs with key=value options, e.g. tmpfs:recurse=0")),
        ("lab_common_apt_proxy", PROXY_RE, _("an HTTP proxy URL"),
         _("write http://HOST:PORT (e.g. http://10.77.0.10:3142), or '' for none")))


class _Values:
    """One host's values checked against their patterns, the problems in `out` in the
    order `labctl validate` prints them."""

    def __init__(self, hv: dict):
        self.hv = hv
        self.out: list[tuple[str, str, str]] = []

    def check(self, var, value, pattern, what, fix) -> bool:
        if not isinstance(value, str) or not pattern.match(value):
            self.out.append((var, _("{value} is not {what}", value=repr(value), what=what), fix))
            return False
        return True

    def plain(self, rules) -> None:
        for var, pattern, what, fix in rules:
            if var in self.hv:
                self.check(var, self.hv[var], pattern, what, fix)

    def timezone(self) -> None:
        tz = self.hv.get("lab_common_timezone")
        if tz is None or not self.check(
                "lab_common_timezone", tz, TIMEZONE_RE, _("a time zone name"),
                _("use a name from the zone database, e.g. Asia/Shanghai")):
            return
        if tz not in _timezones():
            import difflib
            near = difflib.get_close_matches(tz, sorted(_timezones()), n=1)
            self.out.append(("lab_common_timezone",
                             _("{value} is not in the zone database", value=repr(tz)),
                             _("did you mean {name}?", name=near[0]) if near else
                             _("use a name from `timedatectl list-timezones`, e.g. Asia/Shanghai")))

    def students(self) -> None:
        """Every list of students: each a valid account, none another's name and '_'."""
        students = set()
        for var in (*NAME_LISTS, "lab_reset_students", "lab_coursedata_students",
                    "lab_windows_reset_students"):
            value = self.hv.get(var)
            if value is None:
                continue
            if not isinstance(value, (list, tuple)):
                self.out.append((var, _("{value} is not a list of students", value=repr(value)),
                                 _("list the students' names")))
                continue
            for name in _names(value):
                if self.check(var, name, STUDENT_RE, _("a student account name"),
                              _("use 1-32 lower-case letters, digits or '_', starting with a "
                                "letter")):
                    students.add(name)
        for name in sorted(students):
            for other in sorted(students):
                if other != name and other.startswith(name + "_"):
                    self.out.append(("lab_common_students", _(
                        "student {other} begins with student {name} and '_', so {plain}'s "
                        "databases ({plain}_*) would take in {plain_other}'s", other=repr(other),
                        name=repr(name), plain=name, plain_other=other),
                        _("rename one of them (e.g. {example})", example=f"{name}1")))

    def databases(self) -> None:
        dbs = self.hv.get("lab_reset_databases")
        if dbs is None:
            return
        if not isinstance(dbs, dict):
            self.out.append(("lab_reset_databases", _("{value} is not a mapping", value=repr(dbs)),
                             _("map each database name to its template, or to '' for an empty "
                               "one")))
            return
        for name, template in dbs.items():
            self.check("lab_reset_databases", name, DATABASE_RE, _("a student database name"),
                       _("use 1-15 lower-case letters, digits or '_', starting with a letter"))
            if template:
                self.check("lab_reset_databases", template, COURSE_DB_RE,
                           _("a template database"),
                           _("use 1-48 lower-case letters, digits or '_', starting with a letter"))

    def lists(self, rules) -> None:
        """Lists whose every item must match its pattern (rules as plain's)."""
        for var, pattern, what, fix in rules:
            for item in self.items(var):
                self.check(var, item, pattern, what, fix)

    def booleans(self) -> None:
        for var in ("lab_install", "lab_server_pxe", "lab_pull_enabled", "lab_pull_timer"):
            if var in self.hv and not isinstance(self.hv[var], bool):
                self.out.append((var, _("{value} is not true or false", value=repr(self.hv[var])),
                                 _("write {var}: true (or false), without quotes", var=var)))
        mode = self.hv.get("lab_provision_mode")
        if mode is not None and mode not in ("push", "pull"):
            self.out.append(("lab_provision_mode", _("unknown provisioning mode {value}",
                                                     value=repr(mode)),
                             _("write push (Ansible on the admin host) or pull (the terminals "
                               "converge themselves, docs/pull.md)")))

    def items(self, var) -> list:
        """The items of a list variable; one problem, and none, when it is not a list."""
        value = self.hv.get(var)
        if value is None:
            return []
        if not isinstance(value, (list, tuple)):
            self.out.append((var, _("{value} is not a list", value=repr(value)),
                             _("write {var} as a list", var=var)))
            return []
        return list(value)

    def skel_files(self) -> None:
        files = self.hv.get("lab_reset_skel_files")  # none, [] or '' say: no file
        for item in self.items("lab_reset_skel_files") if files else []:
            path = item.get("path") if isinstance(item, dict) else None
            if not (isinstance(path, str) and SKEL_PATH_RE.match(path)
                    and not any(part in ("", ".", "..") for part in path.split("/"))):
                self.out.append(("lab_reset_skel_files",
                                 _("{value} is not a path inside a home", value=repr(path)),
                                 _("give a relative path without '..', e.g. Desktop/readme.txt")))

    def desktop(self) -> None:
        """lab_desktop's language, locales, input methods, X server and launchers."""
        fix_locale = _("write a UTF-8 locale such as zh_CN.UTF-8 or en_US.UTF-8")
        self.plain((("lab_desktop_language", LOCALE_RE, _("a UTF-8 locale"), fix_locale),
                    ("lab_desktop_xserver", XSERVER_RE, _("an X server (X, or an absolute path)"),
                     _("write X, or the path of an X server such as /usr/bin/Xorg"))))
        self.lists((("lab_desktop_locales", LOCALE_RE, _("a UTF-8 locale"), fix_locale),
                    ("lab_desktop_im_engines", ENGINE_RE, _("an input method engine's name"),
                     _("use fcitx5's names, e.g. keyboard-us or pinyin"))))
        launchers = self.hv.get("lab_desktop_launchers")  # none, [] or '' say: no launcher
        for item in self.items("lab_desktop_launchers") if launchers else []:
            item = item if isinstance(item, dict) else {}
            self.check("lab_desktop_launchers", item.get("file"), LAUNCHER_FILE_RE,
                       _("a launcher's file name"), _("use 1-41 lower-case letters, digits or "
                                                      "'-', starting with a letter"))
            for key in ("name", "name_en", "exec", "icon"):
                self.check("lab_desktop_launchers", item.get(key), ONE_LINE_RE,
                           _("one line of a launcher ({key})", key=key),
                           _("write each launcher's values on one line"))

    def projectors(self) -> None:
        from labctl.core.projector import problems as projector_problems
        self.out += [("lab_projectors", message, fix)
                     for message, fix in projector_problems(self.hv.get("lab_projectors"))]

    def veyon(self) -> None:
        from labctl.core.veyon import problems as veyon_problems
        self.out += [("lab_veyon_masters", message, fix)
                     for message, fix in veyon_problems(self.hv.get("lab_veyon_masters"))]
