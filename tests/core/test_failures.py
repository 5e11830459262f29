"""failure_message: a failure as one message, never empty, never torch's or Python's noise."""

from __future__ import annotations

import errno

import pytest

from ftstudio.core.errors import DataError, TrainingError
from ftstudio.core.failures import failure_message


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (DataError("The CSV has no rows."), "The CSV has no rows."),
        (TrainingError(""), "Training failed unexpectedly (TrainingError"),
        (MemoryError(), "Training ran out of memory. Use smaller data"),
        (OSError(errno.ENOSPC, "No space left on device", "/x/last.pt"), "/x/last.pt"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only"),
        (ValueError(), "Training failed unexpectedly (ValueError, without a message)"),
        (KeyboardInterrupt(), "Training was interrupted"),
        (RuntimeError("boom"), "Training failed unexpectedly: RuntimeError: boom"),
    ],
)
def test_every_failure_has_a_message(exc, expected):
    message = failure_message(exc, "Training")
    assert expected in message and message.strip() == message and "\n" not in message
