"""Tells whoever started this process that it is ready, and on which ports.

One JSON line on the file descriptor named by READY_FD, then the descriptor
is closed (packages/common/src/ready.ts): the lab's harness reads readiness
from there, never from log text. Without READY_FD nothing is written.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from .logger import iso_now


def announce_ready(fd: int | None, fields: Mapping[str, Any]) -> None:
    if fd is None:
        return
    line = json.dumps({"event": "ready", "time": iso_now(), "pid": os.getpid(), **fields}, separators=(",", ":"))
    try:
        os.write(fd, (line + "\n").encode())
        os.close(fd)
    except OSError:
        # Whoever asked is gone; the worker runs on regardless.
        pass
