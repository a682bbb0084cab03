"""The workflow engine: the only package that imports SpiffWorkflow. Callers use the names below."""

from engine.api import (
    EngineFailure,
    PublishRefused,
    TaskAlreadyHandled,
    complete,
    current_version,
    parse_bpmn,
    publish,
    publish_directory,
    start,
    start_form_key,
    tick,
)
from engine.lanes import LANES, Seat
from engine.scripts import ScriptRejected

__all__ = [
    "LANES",
    "EngineFailure",
    "PublishRefused",
    "ScriptRejected",
    "Seat",
    "TaskAlreadyHandled",
    "complete",
    "current_version",
    "parse_bpmn",
    "publish",
    "publish_directory",
    "start",
    "start_form_key",
    "tick",
]
