"""The worker's receivers, one per delivery mode of the contract: a new mode
is one receiver module and one line here (services/worker/src/receivers/index.ts)."""

from __future__ import annotations

from collections.abc import Mapping

from ..config import DeliveryMode
from .credit import CreditReceiver
from .poll import PollReceiver
from .receiver import Receiver, ReceiverContext, ReceiverFactory
from .stream import StreamReceiver

RECEIVERS: Mapping[DeliveryMode, ReceiverFactory] = {
    "stream": StreamReceiver,
    "credit": CreditReceiver,
    "poll": PollReceiver,
}

__all__ = ["RECEIVERS", "Receiver", "ReceiverContext"]
