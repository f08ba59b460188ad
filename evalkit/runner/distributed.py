"""Data-parallel evaluation under ``torchrun``: deterministic shards, per-rank journals, one merge.

``torchrun --nproc-per-node N -m evalkit run ...`` starts N copies of the run. Each rank evaluates
its own shard of every task (samples sharing a cluster, such as MME's question pairs, stay on one
rank) and journals it to ``journal/<task>.rank<R>.jsonl``. After a barrier, rank 0 alone merges the
journals, scores, judges and writes the same ``samples/*.jsonl`` and ``scores.json`` a single
process writes. A rank that dies makes torchrun stop the others, and every collective carries a
timeout, so a failure ends the run loudly instead of hanging it.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from evalkit.data.samples import Sample
from evalkit.errors import ConfigError

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 1800


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world_size > 1

    def shard(self, samples: Sequence[Sample]) -> list[Sample]:
        """This rank's samples: whole clusters dealt round-robin in order of first appearance."""
        if not self.active:
            return list(samples)
        order: dict[str, int] = {}
        for s in samples:
            order.setdefault(s.cluster, len(order))
        return [s for s in samples if order[s.cluster] % self.world_size == self.rank]

    def barrier(self) -> None:
        if self.active:
            import torch.distributed as dist

            dist.barrier()

    def gather(self, value: T) -> list[T]:
        """Every rank's ``value``, in rank order (on every rank)."""
        if not self.active:
            return [value]
        import torch.distributed as dist

        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, value)
        return out

    def close(self) -> None:
        if self.active:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()


def from_environment(device: str | None) -> DistContext:
    """The context torchrun describes through WORLD_SIZE/RANK/LOCAL_RANK (a single process otherwise)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistContext()
    try:
        rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    except (KeyError, ValueError) as exc:
        raise ConfigError("WORLD_SIZE is set but RANK is not: start distributed runs with torchrun") from exc
    import torch
    import torch.distributed as dist

    use_cuda = (device or ("cuda" if torch.cuda.is_available() else "cpu")).startswith("cuda")
    backend = os.environ.get("EVALKIT_DIST_BACKEND") or ("nccl" if use_cuda else "gloo")
    timeout = dt.timedelta(seconds=float(os.environ.get("EVALKIT_DIST_TIMEOUT", DEFAULT_TIMEOUT_S)))
    if use_cuda:
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, timeout=timeout)
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank)
