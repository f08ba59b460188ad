"""Rotary positions, dynamic NTK scaling and log-n query scaling of the Qwen-VL language model.

Reproduces ``RotaryEmbedding``, ``apply_rotary_pos_emb`` and the ``logn_tensor`` of the official
``modeling_qwen.py``:

* RoPE rotates the two halves of each head (NeoX style) over the full head dim, computed in float32.
* Dynamic NTK (inference only): on the prefill of ``L`` tokens, ``alpha = max(2^ceil(log2(L/2048)+1) - 1, 1)``
  and the base becomes ``base * alpha^(d/(d-2))``; decode steps keep the prefill's alpha.
* Log-n: a query at position ``p >= 2048`` is multiplied by ``ln(p+1)/ln(2048)`` (computed in double,
  stored as float32); keys are not scaled.

The official code numbers positions by their raw index in the (left-padded) batch, so a prompt's
positions, NTK alpha and log-n factors depend on what else is in its batch. ``RopePositions`` chooses:
``per-sample`` (the default) numbers each sequence from its own first token, so a batched prompt is
computed exactly as it is alone (which is also what the official code does at batch size 1);
``padded`` keeps the official batched numbering, to reproduce an official batched run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

RopePositions = Literal["per-sample", "padded"]
ROPE_POSITIONS: tuple[RopePositions, ...] = ("per-sample", "padded")


def ntk_alpha(length: int, seq_length: int) -> int:
    """The official dynamic-NTK alpha for a prefill of ``length`` tokens (1 up to ``seq_length``)."""
    context_value = math.log(length / seq_length, 2) + 1
    return max(2 ** math.ceil(context_value) - 1, 1)


def inverse_frequencies(head_dim: int, base: float, alpha: float) -> torch.Tensor:
    """RoPE inverse frequencies (float32, ``head_dim / 2``) for an NTK ``alpha``."""
    scaled_base = base * alpha ** (head_dim / (head_dim - 2))
    return 1.0 / (scaled_base ** (torch.arange(0, head_dim, 2).float() / head_dim))


@dataclass(frozen=True)
class SequenceLayout:
    """Per row of a batch: ``shift`` (subtracted from slot indices to give positions) and NTK length."""

    shift: torch.Tensor  # (batch,) long
    ntk_length: torch.Tensor  # (batch,) long


def layout_for(valid: torch.Tensor, extra_tokens: torch.Tensor | None, mode: RopePositions) -> SequenceLayout:
    """The layout of a left-padded prefill; ``valid`` (batch, length) marks real tokens.

    ``extra_tokens`` (batch,) counts tokens that a single official forward pass would have held
    beyond the prompt (a scored continuation minus its last token), so the NTK alpha matches it.
    """
    length = valid.size(1)
    real = valid.sum(dim=1)
    extra = torch.zeros_like(real) if extra_tokens is None else extra_tokens.to(real)
    if mode == "padded":
        return SequenceLayout(torch.zeros_like(real), torch.full_like(real, length + int(extra.max())))
    return SequenceLayout(length - real, real + extra)


@dataclass(frozen=True)
class RotaryTables:
    """cos/sin (batch, tokens, 1, head_dim) in float32 and the log-n factors (batch, tokens, 1, 1) or None."""

    cos: torch.Tensor
    sin: torch.Tensor
    logn: torch.Tensor | None


def rotary_tables(
    positions: torch.Tensor, inv_freq: torch.Tensor, seq_length: int, use_logn: bool, dtype: torch.dtype
) -> RotaryTables:
    """Tables for ``positions`` (batch, tokens) given per-row ``inv_freq`` (batch, head_dim / 2)."""
    freqs = positions.to(torch.float32).unsqueeze(-1) * inv_freq.unsqueeze(1)
    angles = torch.cat((freqs, freqs), dim=-1).unsqueeze(2)
    logn = None
    if use_logn and bool((positions >= seq_length).any()):
        p = positions.to(torch.float64)
        factor = torch.where(p + 1 > seq_length, torch.log(p + 1) / math.log(seq_length), torch.ones_like(p))
        logn = factor.to(torch.float32).to(dtype)[:, :, None, None]
    return RotaryTables(angles.cos(), angles.sin(), logn)


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate (batch, tokens, heads, head_dim) in float32 and return it in ``x``'s dtype."""
    xf = x.float()
    first, second = xf.chunk(2, dim=-1)
    rotated = torch.cat((-second, first), dim=-1)
    return (xf * cos + rotated * sin).type_as(x)
