"""The one-way imports of architecture.md §1, read from the source with ``ast``: the engine is handed the handlers'
registry and never imports ``handlers``; the benches build their data with application code, never with the tests'
fixtures (``conftest``)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
import handlers
from engine import registry

ROOT = Path(__file__).resolve().parents[1]
DYNAMIC_IMPORTS = {"__import__", "import_module"}


def imported(source: str) -> Iterator[str]:
    """Every module name the source imports: statements anywhere (also inside functions), relative imports that
    climb out of their package, and ``__import__``/``importlib.import_module`` with a literal name."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level <= 1 and node.module:
                yield node.module if node.level == 0 else f".{node.module}"
            elif node.level >= 2:  # from .. import handlers / from ..handlers import x: the top level
                yield from ([node.module] if node.module else [alias.name for alias in node.names])
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in DYNAMIC_IMPORTS and isinstance(node.args[0].value, str):
                yield node.args[0].value


def offences(folder: str, banned: set[str]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for name in imported(path.read_text(encoding="utf-8"))
        if name.split(".")[0] in banned
    ]


def test_engine_does_not_import_handlers():
    assert offences("engine", {"handlers"}) == []


def test_bench_does_not_import_the_tests():
    assert offences("bench", {"conftest", "tests", "bpmn_tests"}) == []


@pytest.mark.parametrize(
    "source",
    [
        "import handlers",
        "import handlers.pending as p",
        "from handlers.registry import REPEATABLE",
        "def cancel():\n    from handlers import pending\n",
        "from .. import handlers",
        "from ..handlers.pending import restore_student",
        "importlib.import_module('handlers.pending')",
        "__import__('handlers')",
    ],
)
def test_every_kind_of_import_is_seen(source: str):
    assert any(name.split(".")[0] == "handlers" for name in imported(source))


def test_relative_imports_inside_a_package_are_not_taken_for_top_level_ones():
    assert list(imported("from . import handlers\nfrom .handlers import x")) == [".handlers"]


def test_the_engine_runs_the_handlers_it_was_given(monkeypatch: pytest.MonkeyPatch):
    """``create_app`` and ``build_database`` hand the engine ``handlers.REGISTRY``; without it the engine says
    what is missing instead of failing somewhere inside a diagram."""
    engine.use_handlers(handlers.REGISTRY)
    assert registry.given() is handlers.REGISTRY
    assert registry.given().handlers is handlers.HANDLERS
    monkeypatch.setattr(registry, "_given", None)
    with pytest.raises(RuntimeError, match="use_handlers"):
        registry.given()
