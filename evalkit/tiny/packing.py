"""Packing the sequences of one image into one row, so its image tokens are computed once.

Every question about an image starts with the same tokens: the prompt up to and past the image span.
Those tokens never see what follows them (attention is causal), so their hidden states are the same
in every sequence of the image. A packed row holds the shared prefix once, then each sequence's own
suffix; a suffix token attends to the prefix and to the earlier tokens of its own suffix only, and
takes the position it has in its own sequence. The result is exactly what the sequences give one by
one (``tests/test_tiny_packing.py`` checks the losses), for the price of one image prefix instead of
one per question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from evalkit.models.qwen_vl.image_processing import preprocess_images
from evalkit.models.qwen_vl.kv_cache import KVCache
from evalkit.models.qwen_vl.network import QwenVLNetwork
from evalkit.models.qwen_vl.positions import (
    inverse_frequencies,
    ntk_alpha,
    rotary_tables,
)
from evalkit.tiny.sequences import TrainingSequence


@dataclass(frozen=True)
class ImageGroup:
    """The sequences about one image and, optionally, the dense targets of its image tokens."""

    sequences: Sequence[TrainingSequence]
    cell_targets: tuple[tuple[int, ...], ...] | None = None


@dataclass(frozen=True)
class PackedBatch:
    ids: torch.Tensor  # (rows, length), right padded
    positions: torch.Tensor  # (rows, length): each token's position in its own sequence
    mask: torch.Tensor  # (rows, 1, length, length) bool: which keys each query sees
    pixels: torch.Tensor  # (images, 3, size, size), one per row, in row order
    longest: torch.Tensor  # (rows,): the longest unpacked sequence of each row (fixes its NTK alpha)
    loss_rows: torch.Tensor  # (targets,) the row, column and id of each predicted answer token,
    loss_cols: torch.Tensor  # and the sequence (index into ``tasks``) it belongs to
    loss_ids: torch.Tensor
    loss_sequence: torch.Tensor
    tasks: tuple[str, ...]  # one per packed sequence
    dense_rows: torch.Tensor  # (dense targets,) row, column and id of each image token's target
    dense_cols: torch.Tensor
    dense_ids: torch.Tensor
    subtasks: tuple[str | None, ...]  # one per packed sequence, as ``tasks``
    check_rows: torch.Tensor  # (option checks,) row, column and id of each option check
    check_cols: torch.Tensor  # (``TrainingSequence.checks``)
    check_ids: torch.Tensor
    sequence_rows: torch.Tensor  # (sequences,) the row (image) of each packed sequence


def _with_spans_blanked(ids: Sequence[int], image_start_id: int) -> list[int]:
    """``ids`` with the inside of each ``<img>`` span set to -1: the image reference written there
    (a path, an id) is replaced by the image's features, so it does not tell two prefixes apart."""
    out = list(ids)
    for i, token in enumerate(ids):
        if token == image_start_id:
            end = _span_end(ids, i, image_start_id)
            out[i + 1 : end] = [-1] * (end - i - 1)
    return out


def _span_end(ids: Sequence[int], start: int, image_start_id: int) -> int:
    """The index of the ``</img>`` (the id after ``<img>``'s) that closes the span opened at ``start``,
    or ``len(ids)`` when it is cut off. The span holds the model's image tokens, however many."""
    end_id = image_start_id + 1
    return next((j for j in range(start + 1, len(ids)) if ids[j] == end_id), len(ids))


def shared_prefix(group: Sequence[TrainingSequence], image_start_id: int) -> int:
    """How many leading tokens every sequence of ``group`` shares (the image spans of one image count
    as equal), stopping before any answer's first prediction: the token before an answer must stay in
    its sequence's own suffix. The prefix must hold the image span whole, ``</img>`` included."""
    limit = min(s.answer_start for s in group) - 1
    blanked = [_with_spans_blanked(s.ids, image_start_id) for s in group]
    first = blanked[0]
    length = 0
    while length < limit and all(b[length] == first[length] for b in blanked):
        length += 1
    start = first.index(image_start_id) if image_start_id in first else -1
    end = _span_end(first, start, image_start_id) + 1 if start >= 0 else -1
    if start < 0 or end > len(first) or length < end:
        raise ValueError(f"the sequences of a packed row must share their prompt up to the end of the image span; "
                         f"these share {length} tokens, the span ends at {end}")
    return length


def pack(groups: Sequence[ImageGroup], pad_id: int, image_size: int, image_start_id: int) -> PackedBatch:
    """One row per group; a group's sequences must show the same single image (the one in the row)."""
    rows: list[list[int]] = []
    positions: list[list[int]] = []
    segments: list[list[int]] = []
    targets: list[tuple[int, int, int, int]] = []
    tasks: list[str] = []
    subtasks: list[str | None] = []
    sequence_rows: list[int] = []
    images = []
    longest = []
    dense: list[tuple[int, int, int]] = []
    checks: list[tuple[int, int, int]] = []
    for row, image_group in enumerate(groups):
        group = image_group.sequences
        if any(len(s.images) != 1 for s in group):
            raise ValueError("a packed row holds the sequences of exactly one image")
        prefix = shared_prefix(group, image_start_id)
        if image_group.cell_targets is not None:
            first_cell = group[0].ids.index(image_start_id) + 1
            dense.extend((row, first_cell + cell, token) for cell, tokens in enumerate(image_group.cell_targets)
                         for token in tokens)
        ids = list(group[0].ids[:prefix])
        pos = list(range(prefix))
        seg = [0] * prefix
        for number, sequence in enumerate(group, start=1):
            offset = len(ids) - prefix  # column of the sequence's token ``prefix`` is offset + prefix
            ids.extend(sequence.ids[prefix:])
            pos.extend(range(prefix, len(sequence.ids)))
            seg.extend([number] * (len(sequence.ids) - prefix))
            for token in range(sequence.answer_start, len(sequence.ids)):
                targets.append((row, offset + token - 1, sequence.ids[token], len(tasks)))
            checks.extend((row, index if index < prefix else offset + index, token)
                          for index, token in sequence.checks)
            tasks.append(sequence.task)
            subtasks.append(sequence.subtask)
            sequence_rows.append(row)
        rows.append(ids)
        positions.append(pos)
        segments.append(seg)
        images.append(group[0].images[0])
        longest.append(max(len(s.ids) for s in group))
    length = max(len(r) for r in rows)
    ids_t = torch.full((len(rows), length), pad_id, dtype=torch.long)
    pos_t = torch.zeros((len(rows), length), dtype=torch.long)
    seg_t = torch.full((len(rows), length), -1, dtype=torch.long)
    for r, (ids, pos, seg) in enumerate(zip(rows, positions, segments)):
        ids_t[r, : len(ids)] = torch.tensor(ids)
        pos_t[r, : len(pos)] = torch.tensor(pos)
        seg_t[r, : len(seg)] = torch.tensor(seg)
    column = torch.arange(length)
    causal = column.unsqueeze(0) <= column.unsqueeze(1)  # (query, key)
    query_seg, key_seg = seg_t.unsqueeze(2), seg_t.unsqueeze(1)
    mask = causal & (key_seg >= 0) & ((key_seg == 0) | (key_seg == query_seg))
    mask |= torch.eye(length, dtype=torch.bool)  # a padding query sees itself, so its softmax stays finite
    loss = torch.tensor(targets, dtype=torch.long)
    cells = torch.tensor(dense, dtype=torch.long).reshape(-1, 3)
    checked = torch.tensor(checks, dtype=torch.long).reshape(-1, 3)
    return PackedBatch(ids_t, pos_t, mask.unsqueeze(1), preprocess_images(images, image_size),
                       torch.tensor(longest), loss[:, 0], loss[:, 1], loss[:, 2], loss[:, 3], tuple(tasks),
                       cells[:, 0], cells[:, 1], cells[:, 2], tuple(subtasks),
                       checked[:, 0], checked[:, 1], checked[:, 2], torch.tensor(sequence_rows, dtype=torch.long))


def packed_hidden(network: QwenVLNetwork, batch: PackedBatch) -> torch.Tensor:
    """Final hidden states of a packed batch (the network's own blocks, with the packed mask)."""
    config = network.config
    ids = batch.ids.to(network.device)
    x = network.transformer.wte(ids)
    x = network._write_images(x, ids, network.encode_images(batch.pixels))
    alphas = [ntk_alpha(int(n), config.seq_length) if config.use_dynamic_ntk else 1 for n in batch.longest.tolist()]
    by_alpha = {a: inverse_frequencies(config.head_dim, config.rotary_emb_base, a) for a in set(alphas)}
    inv_freq = torch.stack([by_alpha[a] for a in alphas]).to(network.device)
    rotary = rotary_tables(batch.positions.to(network.device), inv_freq, config.seq_length, config.use_logn_attn,
                           x.dtype)
    rows, length = ids.shape
    cache = KVCache(config.num_hidden_layers, rows, config.num_attention_heads, config.head_dim, length,
                    shift=torch.zeros(rows, dtype=torch.long), inv_freq=inv_freq, dtype=network.dtype,
                    device=network.device)
    mask = batch.mask.to(network.device)
    for layer, block in enumerate(network.transformer.h):
        x = block(x, rotary, mask, cache, layer)
    return network.transformer.ln_f(x)
