"""The restricted script engine: every script, condition, timer expression and service call runs here.

Defence in depth, not a sandbox (spiffworkflow.md §5): an AST check refuses imports, dunder access,
``global``/``nonlocal`` and ``str.format`` escapes; builtins are a whitelist. Service calls go to
the handlers the engine was given (``engine.registry``) with the context of the current engine run.
"""

from __future__ import annotations

import ast
import builtins
import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from types import CodeType
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.registry import given
from models.service_tasks import HandlerContext

SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "abs",
        "all",
        "any",
        "bool",
        "dict",
        "enumerate",
        "filter",
        "float",
        "int",
        "isinstance",
        "len",
        "list",
        "map",
        "max",
        "min",
        "range",
        "round",
        "set",
        "sorted",
        "str",
        "sum",
        "tuple",
        "zip",
        "True",
        "False",
        "None",
    )
}
FORBIDDEN_ATTRIBUTES = frozenset({"format", "format_map", "mro", "gi_frame", "f_globals", "f_locals"})
FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.AsyncFunctionDef, ast.Await)


class ScriptRejected(Exception):
    """A diagram script uses a construct the restricted engine refuses."""


@functools.lru_cache(maxsize=4096)
def compile_checked(source: str, mode: str) -> CodeType:
    tree = ast.parse(source, mode=mode)
    for node in ast.walk(tree):
        if isinstance(node, FORBIDDEN_NODES):
            raise ScriptRejected(f"脚本中不允许使用 {type(node).__name__}")
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES):
            raise ScriptRejected(f"脚本中不允许访问属性 {node.attr}")
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            raise ScriptRejected(f"脚本中不允许使用名称 {node.id}")
    if not isinstance(tree, ast.Module | ast.Expression):
        raise ValueError(f"scripts are compiled in mode 'exec' or 'eval', not {mode!r}")
    # "<string>" is what SpiffWorkflow looks for to report the failing line.
    return compile(tree, "<string>", mode)


_run_context: ContextVar[HandlerContext | None] = ContextVar("xueji_run_context", default=None)


@contextmanager
def running(ctx: HandlerContext) -> Iterator[None]:
    """Give service tasks the session, actor and case of the engine run in progress."""
    token = _run_context.set(ctx)
    try:
        yield
    finally:
        _run_context.reset(token)


class RestrictedEnvironment(TaskDataEnvironment):  # type: ignore[misc]  # SpiffWorkflow ships no types: its classes are Any
    def __init__(self) -> None:
        super().__init__(
            {"__builtins__": SAFE_BUILTINS, "datetime": datetime, "timedelta": timedelta, "timezone": timezone}
        )

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        return super().evaluate(compile_checked(expression, "eval"), context, external_context)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> Any:
        return super().execute(compile_checked(script, "exec"), context, external_context)

    def call_service(
        self, context: dict[str, Any], operation_name: str, operation_params: dict[str, dict[str, Any]]
    ) -> str:
        ctx = _run_context.get()
        if ctx is None:
            raise RuntimeError("service task run outside an engine transaction")
        result = given().handlers[operation_name](ctx, **{name: p["value"] for name, p in operation_params.items()})
        return json.dumps(result)


class AppScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow ships no types: its classes are Any
    """3.2.0's call_service hides handler errors behind NameError('script'); keep the real exception."""

    def call_service(self, task: Any, **kwargs: Any) -> str:
        try:
            result: str = self.environment.call_service(task.data, **kwargs)  # RestrictedEnvironment's
            return result
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            raise WorkflowTaskException(
                f"服务任务 {kwargs.get('operation_name')} 失败：{exc}", task=task, exception=exc
            ) from exc


SCRIPT_ENGINE = AppScriptEngine(environment=RestrictedEnvironment())
