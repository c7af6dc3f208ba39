"""One structured logger: one JSON object per line on stdout.

The same records as packages/common/src/logger.ts (time, level, service,
msg, then the logger's base fields and the call's fields), so the tools and
tests that read the TypeScript worker's lines read these too. A field whose
value is None is left out, as JSON.stringify leaves out undefined.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from .config import LOG_LEVELS, LogLevel

Fields = Mapping[str, Any]


def iso_now() -> str:
    """UTC time with milliseconds, as JavaScript's toISOString writes it."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _write_stdout(line: str) -> None:
    try:
        sys.stdout.write(line)
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        # Whoever read our output is gone: a log line must not stop the
        # worker (or its SIGTERM handler) from doing its job.
        pass


class Logger:
    def __init__(
        self,
        service: str,
        level: LogLevel = "info",
        base: Fields | None = None,
        write: Callable[[str], None] = _write_stdout,
    ) -> None:
        self._service = service
        self._level = level
        self._threshold = LOG_LEVELS.index(level)
        self._base = dict(base or {})
        self._write = write

    def _emit(self, level: LogLevel, msg: str, fields: Fields) -> None:
        if LOG_LEVELS.index(level) < self._threshold:
            return
        record: dict[str, Any] = {"time": iso_now(), "level": level, "service": self._service, "msg": msg}
        for source in (self._base, fields):
            for key, value in source.items():
                if value is None:
                    record.pop(key, None)
                else:
                    record[key] = value
        self._write(json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")

    def enabled(self, level: LogLevel) -> bool:
        return LOG_LEVELS.index(level) >= self._threshold

    def debug(self, msg: str, **fields: Any) -> None:
        self._emit("debug", msg, fields)

    def info(self, msg: str, **fields: Any) -> None:
        self._emit("info", msg, fields)

    def warn(self, msg: str, **fields: Any) -> None:
        self._emit("warn", msg, fields)

    def error(self, msg: str, **fields: Any) -> None:
        self._emit("error", msg, fields)

    def child(self, **fields: Any) -> Logger:
        return Logger(self._service, self._level, {**self._base, **fields}, self._write)
