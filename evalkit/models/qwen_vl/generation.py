"""Batched greedy decoding with left padding and a KV cache.

Mirrors what the official ``eval_mm`` scripts get from ``model.generate(do_sample=False, num_beams=1)``
with ``padding_side='left'`` and ``pad = eos = <|endoftext|>``: at every step the arg-max token, with
the stop tokens masked to -inf while ``min_new_tokens`` applies, and a finished row fed pad tokens.
Rows that have finished are dropped from the batch, which never changes the other rows.

Stop tokens are ``<|endoftext|>``, ``<|im_end|>`` and ``<|im_start|>`` for every prompt format: the
official chat stops at the ChatML markers, the eval scripts at end-of-text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from evalkit.models.qwen_vl.network import QwenVLNetwork
from evalkit.models.qwen_vl.positions import RopePositions


@dataclass(frozen=True)
class GreedySettings:
    max_new_tokens: int
    min_new_tokens: int
    stop_ids: tuple[int, ...]
    pad_id: int


@dataclass(frozen=True)
class Generated:
    """New ids of one row (without the stop token) and whether a stop token ended it."""

    ids: list[int]
    stopped: bool


def left_pad(sequences: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(ids, valid) of shape (batch, longest), real tokens right-aligned."""
    longest = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), longest), pad_id, dtype=torch.long)
    valid = torch.zeros((len(sequences), longest), dtype=torch.bool)
    for row, seq in enumerate(sequences):
        if seq:
            ids[row, longest - len(seq) :] = torch.tensor(list(seq), dtype=torch.long)
            valid[row, longest - len(seq) :] = True
    return ids, valid


@torch.inference_mode()
def greedy_generate(
    network: QwenVLNetwork,
    prompts: Sequence[Sequence[int]],
    image_features: torch.Tensor | None,
    settings: GreedySettings,
    positions: RopePositions = "per-sample",
    should_stop: Callable[[int, list[int]], bool] | None = None,
    observe_scores: Callable[[list[int], torch.Tensor], None] | None = None,
) -> list[Generated]:
    """Greedy continuations of ``prompts`` (one batch); ``image_features`` fill their ``<img>`` spans.

    ``should_stop(row, new_ids)`` may end a row early (e.g. when a stop string appeared).
    ``observe_scores(rows, scores)`` sees each step's processed scores of the rows still running.
    """
    if not prompts:
        return []
    if any(len(p) == 0 for p in prompts):
        raise ValueError("cannot generate from an empty prompt")
    ids, valid = left_pad(prompts, settings.pad_id)
    batch = len(prompts)
    outputs: list[list[int]] = [[] for _ in range(batch)]
    stopped = [False] * batch
    if settings.max_new_tokens <= 0:
        return [Generated([], False) for _ in range(batch)]
    cache = network.new_cache(valid, ids.size(1) + settings.max_new_tokens, positions)
    hidden = network(ids, cache, valid=valid, image_features=image_features)
    logits = network.logits(hidden[:, -1])
    stop_ids = torch.tensor(settings.stop_ids, dtype=torch.long, device=logits.device)
    active = list(range(batch))  # original row of each row still in the cache
    for step in range(settings.max_new_tokens):
        scores = logits.float()
        if step < settings.min_new_tokens:
            scores[:, stop_ids] = float("-inf")
        if observe_scores is not None:
            observe_scores(list(active), scores)
        chosen = scores.argmax(dim=-1)
        finished = torch.isin(chosen, stop_ids).tolist()
        keep: list[int] = []
        for slot, (row, token, done) in enumerate(zip(active, chosen.tolist(), finished)):
            if done:
                stopped[row] = True
                continue
            outputs[row].append(token)
            if should_stop is not None and should_stop(row, outputs[row]):
                continue
            keep.append(slot)
        if not keep or step == settings.max_new_tokens - 1:
            break
        if len(keep) < len(active):
            rows = torch.tensor(keep, device=cache.key_valid.device)
            cache = cache.select_rows(rows)
            chosen = chosen[rows]
            active = [active[slot] for slot in keep]
        hidden = network(chosen.unsqueeze(1), cache)
        logits = network.logits(hidden[:, -1])
    return [Generated(out, stop) for out, stop in zip(outputs, stopped)]
