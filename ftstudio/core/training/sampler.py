"""A DistributedSampler that can start part-way into an epoch (exact mid-epoch resume)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from torch.utils.data import Dataset, DistributedSampler


class ResumableSampler(DistributedSampler):
    """Shuffles with ``seed + epoch`` (like DistributedSampler) and skips ``skip`` samples.

    With one process it is a seeded shuffle; under torchrun each rank gets its shard.
    """

    def __init__(self, dataset: Dataset, rank: int, world: int, seed: int, shuffle: bool = True):
        super().__init__(dataset, num_replicas=world, rank=rank, shuffle=shuffle, seed=seed)
        self.skip = 0

    def __iter__(self) -> Iterator[int]:
        return itertools.islice(super().__iter__(), self.skip, None)

    def __len__(self) -> int:
        return max(0, super().__len__() - self.skip)
