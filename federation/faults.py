"""Test-only switches: the acceptance tests (tests/test_federation.py) run `flask federation run` in processes of
their own and make them misbehave through these environment variables. All off unless set; never set them in a
deployment.

- ``XUEJI_FAULT_KILL_BEFORE_ACK=<message name>``: the consumer SIGKILLs its own process after the commit that
  took a message of that name, before the ack (the broker redelivers it to the restarted process).
- ``XUEJI_FAULT_PUBLISH_TWICE=1``: the relay publishes every message twice (a relay that died after the broker's
  confirm, before it marked the row sent).
- ``XUEJI_FAULT_NEWEST_FIRST=1``: the relay publishes what waits newest first (later messages of a case overtake
  the earlier ones).
"""

from __future__ import annotations

import os
import signal
from typing import Any


def relay_options() -> dict[str, Any]:
    return {
        "copies": 2 if os.environ.get("XUEJI_FAULT_PUBLISH_TWICE") else 1,
        "newest_first": bool(os.environ.get("XUEJI_FAULT_NEWEST_FIRST")),
    }


def kill_before_ack(data: dict[str, Any]) -> None:
    if data.get("name") == os.environ.get("XUEJI_FAULT_KILL_BEFORE_ACK", "\0"):
        os.kill(os.getpid(), signal.SIGKILL)
