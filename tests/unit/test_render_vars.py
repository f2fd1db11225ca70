"""render_vars templates a value that is the same for every host once and reuses it: each
host still gets exactly what it would get rendered on its own."""

import yaml

from labctl.core.inventory import render_vars

HOSTS = {"pc01": {"ansible_host": "10.9.0.101", "lab_seat": {"row": 1, "column": 1}},
         "pc02": {"ansible_host": "10.9.0.102", "lab_seat": {"row": 1, "column": 2}},
         "srv": {"ansible_host": "10.9.0.10"}}
VARS = {
    "lab_name": "{{ inventory_hostname }}-x",                  # a magic variable
    "lab_address": "{{ ansible_host }}",                       # a host's own value
    "lab_chain": "{{ lab_name | upper }}",                     # through another variable
    "lab_deep": {"list": ["{{ lab_seat.column | default(0) * 10 }}", "fixed"]},
    "lab_server": "{{ hostvars[groups['servers'][0]].ansible_host }}",  # the same for all
    "lab_proxy": "http://{{ lab_server }}:3142",               # through it: the same too
    "lab_count": "{{ groups['all'] | length }}",
    "lab_groups": "{{ group_names | join(',') }}",
    "lab_literal": 7,
}


def test_shared_values_are_rendered_once_and_host_values_per_host(tmp_path):
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text(yaml.safe_dump(VARS))
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {
        "terminals": {"hosts": {n: HOSTS[n] for n in ("pc01", "pc02")}},
        "servers": {"hosts": {"srv": HOSTS["srv"]}}}}}))
    got = render_vars(tmp_path, ["pc01", "pc02", "srv"], lambda n: n.startswith("lab_"))
    for name, host in HOSTS.items():
        column = host.get("lab_seat", {}).get("column", 0)
        assert got[name] == {
            **({"lab_seat": host["lab_seat"]} if "lab_seat" in host else {}),
            "lab_name": f"{name}-x", "lab_address": host["ansible_host"],
            "lab_chain": f"{name.upper()}-X", "lab_deep": {"list": [column * 10, "fixed"]},
            "lab_server": "10.9.0.10", "lab_proxy": "http://10.9.0.10:3142", "lab_count": 3,
            "lab_groups": "servers" if name == "srv" else "terminals", "lab_literal": 7}, name
    # a host's values are its own objects: changing one host's leaves the others'
    got["pc01"]["lab_deep"]["list"].append("mine")
    assert got["pc02"]["lab_deep"]["list"] == [20, "fixed"]
