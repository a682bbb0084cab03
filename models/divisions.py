"""The administrative divisions (GB/T 2260) as a province → city → county tree, for pickers: read from the table
python-stdnum ships for ID numbers (stdnum/cn/loc.dat), current codes only (a name marked ``[-2010]`` ended)."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

_LINE = re.compile(r'^(\s*)(\d+) (?:province|county)="([^"]*)"')


def _current(names: str) -> str | None:
    """The name in force now: one without an end year ("[2011-]朝阳区" counts, "[-2010]崇文区" does not)."""
    for part in names.split(","):
        if not part.startswith("["):
            return part
        span, name = part[1:].split("]", 1)
        if not span.split("-", 1)[1]:
            return name
    return None


@cache
def tree() -> list[dict[str, Any]]:
    """[{code, name, children: [{code, name, children: [{code, name}]}]}], in code order."""
    provinces: list[dict[str, Any]] = []
    text = resources.files("stdnum.cn").joinpath("loc.dat").read_text(encoding="utf-8")
    province: dict[str, Any] | None = None
    for line in text.splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        indent, digits, names = found.groups()
        if not indent:
            province = {"code": digits + "0000", "name": names, "children": []}
            provinces.append(province)
            continue
        name = _current(names)
        if province is None or name is None or digits.endswith("0000"):
            continue
        code = province["code"][:2] + digits
        if code.endswith("00"):
            province["children"].append({"code": code, "name": name, "children": []})
        elif province["children"] and province["children"][-1]["code"][:4] == code[:4]:
            province["children"][-1]["children"].append({"code": code, "name": name})
        else:  # a county directly under the province (直辖市的区, 省直辖县级行政单位)
            province["children"].append({"code": code, "name": name, "children": []})
    return provinces
