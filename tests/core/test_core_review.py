"""Review fixes: user errors from worker processes, data checks, checkpoint messages."""

from __future__ import annotations

import pytest
from torch.utils.data import DataLoader, Dataset

from ftstudio.core.errors import DataError


class _Broken(Dataset):
    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: int):
        raise DataError("Cannot read the image a.png: bad file. Replace or remove it.")


def test_error_raised_in_a_dataloader_worker_keeps_only_the_users_message():
    loader = DataLoader(_Broken(), batch_size=1, num_workers=1)
    with pytest.raises(DataError) as info:
        next(iter(loader))
    assert str(info.value) == "Cannot read the image a.png: bad file. Replace or remove it."
    assert "Traceback" not in str(info.value)


def test_plain_error_messages_are_left_alone():
    text = "Caught you. Original Traceback, not from a worker"
    assert str(DataError(text)) == text
