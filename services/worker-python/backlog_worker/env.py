"""Reads configuration from the environment once, validating as it goes.

The Python twin of packages/common/src/env.ts, with the same rules and the
same messages, word for word: every problem is collected so one run reports
them all, each naming the variable and what it accepts ("PREFETCH must be an
integer 1..100000, got 'abc'"). config.py is the only caller; no other module
reads os.environ. test/python/config.test.ts holds both to the same answers.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

# Exit status for bad configuration (the caller's fault, like EX_USAGE).
CONFIG_ERROR_EXIT_CODE = 2

# The same number syntax JavaScript's Number() accepts in env.ts (no hex, no
# underscores): '1e3' is 1000, '1.0' is 1.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", re.ASCII)

T = TypeVar("T")
S = TypeVar("S", bound=str)


class ConfigError(Exception):
    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("invalid configuration:\n  " + "\n  ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class StringCheck:
    """What a string variable must look like, and how a message says it."""

    test: Callable[[str], bool]
    describe: str


def _js_number(value: float) -> str:
    """A bound as JavaScript prints it: 100000, not 100000.0."""
    return str(int(value)) if float(value).is_integer() else repr(value)


class EnvReader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env
        self._problems: list[str] = []

    def _raw(self, name: str) -> str | None:
        value = self._env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def _numeric(self, name: str, default: float, lo: float, hi: float, integer: bool) -> float:
        value = self._raw(name)
        if value is None:
            return default
        parsed = float(value) if _NUMBER.fullmatch(value) else math.nan
        ok = math.isfinite(parsed) and (not integer or parsed.is_integer()) and lo <= parsed <= hi
        if not ok:
            kind = "an integer" if integer else "a number"
            self._problems.append(f"{name} must be {kind} {_js_number(lo)}..{_js_number(hi)}, got '{value}'")
            return default
        return parsed

    def integer(self, name: str, default: int, lo: int, hi: int) -> int:
        return int(self._numeric(name, default, lo, hi, True))

    def optional_integer(self, name: str, lo: int, hi: int) -> int | None:
        """An integer without a default: None when unset."""
        if self._raw(name) is None:
            return None
        return int(self._numeric(name, lo, lo, hi, True))

    def number(self, name: str, default: float, lo: float, hi: float) -> float:
        return self._numeric(name, default, lo, hi, False)

    def one_of(self, name: str, values: Sequence[S], fallback: S) -> S:
        value = self._raw(name)
        if value is None:
            return fallback
        for candidate in values:
            if candidate == value:
                return candidate
        self._problems.append(f"{name} must be one of {'|'.join(values)}, got '{value}'")
        return fallback

    def string(self, name: str, fallback: str, check: StringCheck | None = None) -> str:
        value = self._raw(name)
        if value is None:
            value = fallback
        if check is not None and not check.test(value):
            self._problems.append(f"{name} must be {check.describe}, got '{value}'")
        return value

    def file(self, name: str) -> bytes | None:
        """Contents of the file the variable names (unset: None)."""
        path = self._raw(name)
        if path is None:
            return None
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            self._problems.append(f"{name} must name a readable file, got '{path}'")
            return None

    def require_together(self, names: Sequence[str]) -> None:
        """Notes a problem unless all or none of these variables are set."""
        present = [n for n in names if self._raw(n) is not None]
        if 0 < len(present) < len(names):
            self._problems.append(f"{' and '.join(names)} must be set together, got only {', '.join(present)}")

    def problem(self, message: str) -> None:
        """Notes a problem that involves several variables."""
        self._problems.append(message)

    def done(self) -> None:
        """Raises ConfigError if anything read so far was invalid."""
        if self._problems:
            raise ConfigError(self._problems)


def load_config_or_exit(load: Callable[[], T]) -> T:
    """Runs a config loader; on bad configuration prints the problems to stderr and exits 2."""
    try:
        return load()
    except ConfigError as error:
        sys.stderr.write(f"{error}\n")
        sys.stderr.flush()
        raise SystemExit(CONFIG_ERROR_EXIT_CODE) from None
