"""Capped exponential backoff with full jitter (packages/common/src/backoff.ts).

A random delay in [0, min(cap, base * 2^attempt)), never below base / 2:
full jitter keeps many workers that lost the same sidecar from reconnecting
in lockstep.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable


class Backoff:
    def __init__(self, base_ms: float = 100, cap_ms: float = 5_000, rand: Callable[[], float] = random.random) -> None:
        self._base = base_ms
        self._cap = cap_ms
        self._random = rand
        self._attempt = 0

    def next(self) -> float:
        """Delay before the next attempt, in ms; grows until reset()."""
        ceiling = min(self._cap, self._base * 2**self._attempt)
        self._attempt = min(self._attempt + 1, 30)
        return float(max(self._base / 2, math.floor(self._random() * ceiling)))

    def reset(self) -> None:
        self._attempt = 0
