"""Qwen-VL / Qwen-VL-Chat as an evalkit ``Model``: render prompts, batch, decode like the official scripts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import torch

from evalkit.errors import ConfigError
from evalkit.models.base import (
    ContinuationScore,
    GenerateRequest,
    GenerateResult,
    GenerationSettings,
    LoglikelihoodRequest,
    ModelIdentity,
)
from evalkit.models.qwen_vl.config import GenerationDefaults
from evalkit.models.qwen_vl.generation import Generated, GreedySettings, greedy_generate
from evalkit.models.qwen_vl.image_processing import preprocess_images
from evalkit.models.qwen_vl.likelihood import score_continuations
from evalkit.models.qwen_vl.network import QwenVLNetwork
from evalkit.models.qwen_vl.positions import RopePositions
from evalkit.models.qwen_vl.prompt import RenderedPrompt, render_prompt
from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
from evalkit.prompts.types import Prompt

if TYPE_CHECKING:  # pragma: no cover
    from evalkit.data.images import LazyImage


class QwenVL:
    """The evalkit model for the original Qwen-VL family, on evalkit's own implementation.

    Each ``generate``/``loglikelihood`` call is run as one batch (the runner sizes batches); a
    request's answer does not depend on the rest of its batch (``rope_positions="per-sample"``).
    """

    family = "qwen-vl"

    def __init__(
        self,
        network: QwenVLNetwork,
        tokenizer: QwenTokenizer,
        defaults: GenerationDefaults,
        identity: ModelIdentity,
        rope_positions: RopePositions = "per-sample",
    ) -> None:
        self.network = network
        self.tokenizer = tokenizer
        self.defaults = defaults
        self.rope_positions = rope_positions
        self._identity = identity
        self.stop_ids = (tokenizer.eod_id, tokenizer.im_end_id, tokenizer.im_start_id)

    def identity(self) -> ModelIdentity:
        return self._identity

    @property
    def chat_format(self) -> str:
        """``chatml`` for Qwen-VL-Chat, ``raw`` for the base model (the checkpoint's generation config)."""
        return self.defaults.chat_format

    def render(self, prompt: Prompt) -> RenderedPrompt:
        """The exact text and ids this model reads for ``prompt``."""
        return render_prompt(prompt, self.tokenizer, self.defaults.max_window_size)

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        results: list[GenerateResult | None] = [None] * len(requests)
        groups: dict[GenerationSettings, list[int]] = {}
        for i, request in enumerate(requests):
            groups.setdefault(request.settings, []).append(i)
        for settings, members in groups.items():
            rendered = [self.render(requests[i].prompt) for i in members]
            for i, result in zip(members, self._generate_batch(rendered, settings)):
                results[i] = result
        return [r for r in results if r is not None]

    def generate_tokens(self, rendered: Sequence[RenderedPrompt], settings: GenerationSettings) -> list[Generated]:
        """New token ids (stop token excluded) and whether a stop token ended each, for rendered prompts."""
        greedy = self._greedy_settings(settings)
        return greedy_generate(
            self.network, [r.ids for r in rendered], self.image_features(rendered), greedy,
            self.rope_positions, self._stop_string_check(settings.stop),
        )

    def _generate_batch(self, rendered: list[RenderedPrompt], settings: GenerationSettings) -> list[GenerateResult]:
        outputs = self.generate_tokens(rendered, settings)
        return [
            GenerateResult(
                text=self.decode_answer(g.ids, settings.stop), prompt_tokens=len(r.ids), output_tokens=len(g.ids)
            )
            for r, g in zip(rendered, outputs)
        ]

    def decode_answer(self, ids: Sequence[int], stop: Sequence[str] = ()) -> str:
        """Text of new ids as the official scripts decode it (ids < 151643 only), cut at a stop string, stripped."""
        return _cut_at_stop(self.tokenizer.decode(ids, skip_special_tokens=True), stop).strip()

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[list[ContinuationScore]]:
        if not requests:
            return []
        rendered = [self.render(r.prompt) for r in requests]
        continuations = [[self.tokenizer.encode(c) for c in r.continuations] for r in requests]
        for request, options in zip(requests, continuations):
            for text, ids in zip(request.continuations, options):
                if not ids:
                    raise ConfigError(f"continuation {text!r} has no tokens; every option needs text to score")
                if self.tokenizer.img_start_id in ids:
                    raise ConfigError(f"continuation {text!r} holds an image tag; images belong in the prompt")
        scored = score_continuations(
            self.network, [r.ids for r in rendered], self.image_features(rendered), continuations,
            self.tokenizer.eod_id, self.rope_positions,
        )
        return [
            [
                ContinuationScore(mean_loss=s.mean_loss, sum_logprob=s.sum_logprob, n_tokens=int(s.logprobs.numel()))
                for s in row
            ]
            for row in scored
        ]

    def _greedy_settings(self, settings: GenerationSettings) -> GreedySettings:
        if settings.max_new_tokens < 0 or settings.min_new_tokens < 0:
            raise ValueError("max_new_tokens and min_new_tokens must not be negative")
        return GreedySettings(
            max_new_tokens=settings.max_new_tokens,
            min_new_tokens=min(settings.min_new_tokens, settings.max_new_tokens),
            stop_ids=self.stop_ids,
            pad_id=self.defaults.pad_token_id,
        )

    def _stop_string_check(self, stop: Sequence[str]) -> Callable[[int, list[int]], bool] | None:
        stop = [s for s in stop if s]
        if not stop:
            return None

        def should_stop(row: int, ids: list[int]) -> bool:
            text = self.tokenizer.decode(ids, skip_special_tokens=True)
            return any(s in text for s in stop)

        return should_stop

    def image_features(self, rendered: Sequence[RenderedPrompt]) -> torch.Tensor | None:
        """Features of every image of ``rendered``, in span order, from one vision batch (None without images)."""
        images: list[LazyImage] = [image for r in rendered for image in r.images]
        if not images:
            return None
        pixels = preprocess_images([image.load() for image in images], self.network.config.visual.image_size)
        with torch.inference_mode():
            return self.network.encode_images(pixels)


def _cut_at_stop(text: str, stop: Sequence[str]) -> str:
    cut = min((text.find(s) for s in stop if s and s in text), default=-1)
    return text if cut < 0 else text[:cut]
