"""Feeding batches: an endless, resumable, rank-aware sampler and the data loader.

The order of items is a pure function of (seed, epoch, rank), so a resumed run starts
exactly where the interrupted one stopped: the sampler skips the items already consumed
instead of replaying them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from artgan.engine.runtime import Runtime
from artgan.errors import ArtganError


class InfiniteSampler(Sampler[int]):
    """Endless shuffled indices; each process takes every ``world_size``-th of an epoch."""

    def __init__(self, size: int, *, rank: int = 0, world_size: int = 1, seed: int = 0, start: int = 0) -> None:
        if size < world_size:
            raise ArtganError(f"the dataset has {size} item(s), fewer than the {world_size} processes training on it")
        self.size, self.rank, self.world_size, self.seed, self.start = size, rank, world_size, seed, start
        self.per_rank = size // world_size

    def __iter__(self) -> Iterator[int]:
        epoch, offset = divmod(self.start, self.per_rank)
        while True:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            order = torch.randperm(self.size, generator=generator)[: self.per_rank * self.world_size]
            mine = order[self.rank :: self.world_size].tolist()
            yield from mine[offset:]
            epoch, offset = epoch + 1, 0


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def make_loader(dataset: Dataset, batch_size: int, runtime: Runtime, *, seed: int, start: int, workers: int) -> DataLoader:
    """A loader that yields batches forever, starting after ``start`` items of this process."""
    try:
        size = len(dataset)
    except TypeError:
        raise ArtganError("the plugin's dataset must have a length (a map-style torch Dataset)") from None
    if size == 0:
        raise ArtganError("the training data is empty")
    if workers < 0:
        workers = 0 if runtime.device.type != "cuda" else min(8, max(1, (torch.get_num_threads() or 2) - 1))
    sampler = InfiniteSampler(size, rank=runtime.rank, world_size=runtime.world_size, seed=seed, start=start)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        pin_memory=runtime.device.type == "cuda",
        drop_last=True,
        persistent_workers=workers > 0,
        worker_init_fn=_seed_worker if workers > 0 else None,
        generator=torch.Generator().manual_seed(seed + 7919 * runtime.rank),
    )
