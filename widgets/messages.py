"""Messages shared by the app's widgets and screens."""

from __future__ import annotations

from textual.message import Message
from textual.worker import Worker, WorkerState


class WorkerFailed(Message):
    """A worker ended with an error; the app shows it instead of stopping."""

    def __init__(self, error: BaseException) -> None:
        super().__init__()
        self.error = error


def forward_failure(node, event: Worker.StateChanged) -> None:
    """Turn a failed worker of ``node`` into a :class:`WorkerFailed` that bubbles up.

    ``Worker.StateChanged`` does not bubble, so each widget running workers
    calls this from its ``on_worker_state_changed``.
    """
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        node.post_message(WorkerFailed(event.worker.error))
