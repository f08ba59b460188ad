"""Continuation scores for choice tasks, computing each shared prompt only once.

The official ``eval_mm/evaluate_multiple_choice.py`` runs one full forward pass per option over
``prompt + option`` (minus its last token) and takes the mean float32 cross-entropy of the option's
tokens. Here the prompts of a batch are run once into a KV cache; the cache rows are repeated per
option and only the option tokens are run on top of it (nothing at all for one-token options such
as ``" A"``, whose log-probability is read off the prompt's last position). The NTK alpha is the one
the official pass would use: that of the prompt plus its longest option, less one token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from evalkit.models.qwen_vl.generation import left_pad
from evalkit.models.qwen_vl.network import QwenVLNetwork
from evalkit.models.qwen_vl.positions import RopePositions


@dataclass(frozen=True)
class TokenScores:
    """Per-token log-probabilities (float32) of one continuation."""

    logprobs: torch.Tensor

    @property
    def mean_loss(self) -> float:
        return float(-self.logprobs.mean())

    @property
    def sum_logprob(self) -> float:
        return float(self.logprobs.double().sum())


@torch.inference_mode()
def score_continuations(
    network: QwenVLNetwork,
    prompts: Sequence[Sequence[int]],
    image_features: torch.Tensor | None,
    continuations: Sequence[Sequence[Sequence[int]]],
    pad_id: int,
    positions: RopePositions = "per-sample",
) -> list[list[TokenScores]]:
    """For each prompt, the scores of each of its continuations (token ids appended to the prompt)."""
    if len(prompts) != len(continuations):
        raise ValueError("one list of continuations per prompt is needed")
    if not prompts:
        return []
    if any(len(p) == 0 for p in prompts):
        raise ValueError("cannot score a continuation of an empty prompt")
    if any(len(c) == 0 for options in continuations for c in options):
        raise ValueError("a continuation must have at least one token")
    if not any(continuations):
        return [[] for _ in prompts]
    ids, valid = left_pad(prompts, pad_id)
    longest = max((len(c) for options in continuations for c in options), default=1)
    extra = torch.tensor([max((len(c) for c in options), default=1) - 1 for options in continuations])
    cache = network.new_cache(valid, ids.size(1) + longest - 1, positions, extra_tokens=extra)
    hidden = network(ids, cache, valid=valid, image_features=image_features)
    first_logprobs = network.logits(hidden[:, -1]).float().log_softmax(dim=-1)

    owners = [row for row, options in enumerate(continuations) for _ in options]
    flat = [list(c) for options in continuations for c in options]
    device = first_logprobs.device
    targets = torch.full((len(flat), longest), pad_id, dtype=torch.long, device=device)
    for i, c in enumerate(flat):
        targets[i, : len(c)] = torch.tensor(c, dtype=torch.long)
    owner_index = torch.tensor(owners, dtype=torch.long, device=device)
    token_logprobs = torch.empty(len(flat), longest, dtype=torch.float32, device=device)
    token_logprobs[:, 0] = first_logprobs[owner_index].gather(1, targets[:, :1]).squeeze(1)
    if longest > 1:
        lengths = torch.tensor([len(c) for c in flat], device=device)
        steps = torch.arange(longest - 1, device=device)
        option_cache = cache.select_rows(owner_index)
        inputs_valid = steps.unsqueeze(0) < lengths.unsqueeze(1) - 1
        hidden = network(targets[:, :-1], option_cache, valid=inputs_valid)
        logprobs = network.logits(hidden).float().log_softmax(dim=-1)
        token_logprobs[:, 1:] = logprobs.gather(2, targets[:, 1:].unsqueeze(2)).squeeze(2)
    scores = [TokenScores(token_logprobs[i, : len(c)].cpu()) for i, c in enumerate(flat)]
    out: list[list[TokenScores]] = [[] for _ in prompts]
    for owner, score in zip(owners, scores):
        out[owner].append(score)
    return out
