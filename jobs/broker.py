"""The embedded default broker: kombu's filesystem transport, with each message written whole before it can be seen.

kombu's own ``_put`` creates the message file under its final name and only then writes it; a worker polling the
folder in between moves the empty file away, fails to decode it and stops with "Unrecoverable error" (seen on a
100,000-row import). Here the message is written under a name the reader skips and renamed into place, which is
atomic on one file system.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):  # type: ignore[misc]  # kombu is untyped
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # The reader takes only names whose part after the first dot is "<queue>.msg": "<queue>.msg.part" is skipped.
        partial = final + ".part"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):  # type: ignore[misc]
    Channel = Channel
