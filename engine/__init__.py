"""The workflow engine: the only package that imports SpiffWorkflow. Callers use the names below."""

from engine.api import (
    EngineFailure,
    PublishRefused,
    TaskAlreadyHandled,
    cancel,
    complete,
    current_version,
    deliver,
    publish,
    publish_directory,
    published_flows,
    relay,
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
    "cancel",
    "complete",
    "current_version",
    "deliver",
    "published_flows",
    "publish",
    "publish_directory",
    "relay",
    "start",
    "start_form_key",
    "tick",
]
