"""``HFModel``: the evalkit ``Model`` interface over a Hugging Face image-text-to-text model.

Generation is greedy and batched with left padding; each request's answer is independent of
the rest of its batch (the multimodal rotary positions of Qwen2-VL-style models are computed
from the attention mask, so padding does not shift them). The checkpoint's own
``generation_config`` contributes only its end and padding token ids: its sampling settings and
penalties (Qwen2-VL-Instruct ships ``repetition_penalty`` 1.05, top-k 1) are dropped, so every
backend decodes the same plain greedy way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from evalkit.errors import ConfigError, EvalkitError
from evalkit.models.base import (
    ContinuationScore,
    GenerateRequest,
    GenerateResult,
    GenerationSettings,
    LoglikelihoodRequest,
    ModelIdentity,
)
from evalkit.models.hf.checkpoint import Checkpoint
from evalkit.models.hf.options import HFModelArgs
from evalkit.models.hf.render import render_prompt
from evalkit.prompts.types import Prompt

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as PILImage


class HFModel:
    """A loaded Hugging Face vision-language chat model (use ``evalkit.models.hf.load``)."""

    family = "chat"

    def __init__(self, model: Any, processor: Any, checkpoint: Checkpoint, args: HFModelArgs, fingerprint: str) -> None:
        from transformers import GenerationConfig

        self._model = model
        self._processor = processor
        self._tokenizer = processor.tokenizer
        self._checkpoint = checkpoint
        self._args = args
        self._fingerprint = fingerprint
        self._end_ids, self._pad_id = _end_and_pad_ids(model.generation_config, self._tokenizer)
        # Replace the checkpoint's generation defaults so that none of them leaks into generate().
        model.generation_config = GenerationConfig(eos_token_id=list(self._end_ids), pad_token_id=self._pad_id)

    def identity(self) -> ModelIdentity:
        import transformers

        source = self._checkpoint.source
        name = source if self._checkpoint.from_hub else self._checkpoint.folder.name
        return ModelIdentity(
            name=name,
            backend="hf",
            source=source,
            revision=self._checkpoint.commit or self._args.revision,
            dtype=str(self._model.dtype).removeprefix("torch."),
            extra={
                "weights_sha256": self._fingerprint,
                "model_type": self._model.config.model_type,
                "model_class": type(self._model).__name__,
                "attn_implementation": self._model.config._attn_implementation,
                "min_pixels": self._args.min_pixels,
                "max_pixels": self._args.max_pixels,
                "transformers": transformers.__version__,
            },
        )

    def generate(self, requests: Sequence[GenerateRequest]) -> list[GenerateResult]:
        """Greedy answers, one per request; requests with equal settings share one ``generate`` call."""
        groups: dict[GenerationSettings, list[int]] = {}
        for index, request in enumerate(requests):
            groups.setdefault(request.settings, []).append(index)
        results: dict[int, GenerateResult] = {}
        for settings, indices in groups.items():
            answers = self._generate_batch([requests[i].prompt for i in indices], settings)
            results.update(zip(indices, answers))
        return [results[i] for i in range(len(requests))]

    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[list[ContinuationScore]]:
        """Score every continuation of every request in one left-padded forward pass.

        Each row is the rendered prompt with the continuation's text appended, tokenised together.
        Boundary rule: the continuation's tokens are those of the joint encoding after its longest
        common prefix with the prompt's own encoding. Usually that is exactly the tokens after the
        prompt's tokens; when the tokenizer merges the prompt's last characters with the
        continuation's first ones, the merged token counts as part of the continuation.
        Log-probabilities are taken in float32, as the official Qwen-VL choice scripts do.
        """
        import torch

        texts: list[str] = []
        images: list[PILImage.Image] = []
        prompt_ids: list[list[int]] = []
        owners: list[int] = []
        for index, request in enumerate(requests):
            if not request.continuations:
                continue
            prompt_text, prompt_images = render_prompt(self._processor, request.prompt)
            own_ids = self._encode([prompt_text], prompt_images)["input_ids"][0].tolist()
            for continuation in request.continuations:
                if not continuation:
                    raise ConfigError("a loglikelihood request has an empty continuation; every option needs text")
                texts.append(prompt_text + continuation)
                images.extend(prompt_images)
                prompt_ids.append(own_ids)
                owners.append(index)
        scores: list[list[ContinuationScore]] = [[] for _ in requests]
        if not texts:
            return scores
        inputs = self._encode(texts, images)
        input_ids, mask = inputs["input_ids"], inputs["attention_mask"]
        counts = [
            _continuation_length(prompt_ids[row], input_ids[row][mask[row].bool()].tolist())
            for row in range(len(texts))
        ]
        keep = max(counts) + 1
        with torch.inference_mode():
            logits = self._model(**inputs.to(self._model.device), logits_to_keep=keep).logits
        logprobs = logits.float().log_softmax(dim=-1)
        width = input_ids.shape[1]
        for row, count in enumerate(counts):
            # With left padding every continuation ends at the last position; the logits at
            # position p predict the token at p + 1.
            targets = input_ids[row, width - count :].to(logprobs.device)
            token_logprobs = logprobs[row, keep - 1 - count : keep - 1].gather(-1, targets.unsqueeze(-1)).squeeze(-1)
            scores[owners[row]].append(
                ContinuationScore(
                    mean_loss=float((-token_logprobs).mean()),
                    sum_logprob=float(token_logprobs.sum()),
                    n_tokens=count,
                )
            )
        return scores

    def _generate_batch(self, prompts: list[Prompt], settings: GenerationSettings) -> list[GenerateResult]:
        import torch
        from transformers import GenerationConfig

        _check_settings(settings)
        texts: list[str] = []
        images: list[PILImage.Image] = []
        for prompt in prompts:
            text, prompt_images = render_prompt(self._processor, prompt)
            texts.append(text)
            images.extend(prompt_images)
        inputs = self._encode(texts, images)
        config = GenerationConfig(
            do_sample=False,
            num_beams=1,
            max_new_tokens=settings.max_new_tokens,
            min_new_tokens=settings.min_new_tokens,
            stop_strings=list(settings.stop) or None,
            eos_token_id=list(self._end_ids),
            pad_token_id=self._pad_id,
        )
        extra = {"tokenizer": self._tokenizer} if settings.stop else {}
        with torch.inference_mode():
            output = self._model.generate(**inputs.to(self._model.device), generation_config=config, **extra)
        new_tokens = output[:, inputs["input_ids"].shape[1] :].cpu().tolist()
        prompt_lengths = inputs["attention_mask"].sum(dim=1).tolist()
        return [self._result(ids, int(length), settings.stop) for ids, length in zip(new_tokens, prompt_lengths)]

    def _result(self, new_ids: list[int], prompt_tokens: int, stop: tuple[str, ...]) -> GenerateResult:
        """Decode one row; ``output_tokens`` counts the tokens the answer took, end token included.

        A row that met a stop string is padded afterwards when its batch runs on; counting up to
        the first stop string (or end token) gives every row the count it would have alone.
        """
        length = _end_length(new_ids, self._end_ids)
        if stop:
            length = next(
                (cut for cut in range(1, length + 1) if _find_stop(self._decode(new_ids[:cut]), stop) is not None),
                length,
            )
        text = self._decode(new_ids[:length])
        position = _find_stop(text, stop)
        if position is not None:
            text = text[:position]
        return GenerateResult(text=text.strip(), prompt_tokens=prompt_tokens, output_tokens=length)

    def _decode(self, ids: list[int]) -> str:
        return str(self._tokenizer.decode(ids, skip_special_tokens=True))

    def _encode(self, texts: list[str], images: list[PILImage.Image]) -> Any:
        if images and getattr(self._processor, "image_processor", None) is None:
            raise EvalkitError(
                f"{self._checkpoint.source} has no image processor, so it cannot read the prompt's images"
            )
        return self._processor(text=texts, images=images or None, padding=True, return_tensors="pt")


def _check_settings(settings: GenerationSettings) -> None:
    if settings.max_new_tokens < 1:
        raise ConfigError(f"max_new_tokens must be at least 1, got {settings.max_new_tokens}")
    if not 0 <= settings.min_new_tokens <= settings.max_new_tokens:
        raise ConfigError(
            f"min_new_tokens must lie between 0 and max_new_tokens ({settings.max_new_tokens}), "
            f"got {settings.min_new_tokens}"
        )
    if any(not s for s in settings.stop):
        raise ConfigError("a stop string is empty; remove it from the task's generation settings")


def _end_and_pad_ids(generation_config: Any, tokenizer: Any) -> tuple[tuple[int, ...], int]:
    """The ids that end an answer (the checkpoint's ``eos_token_id``, else the tokenizer's) and the pad id."""
    eos = generation_config.eos_token_id
    if eos is None:
        eos = tokenizer.eos_token_id
    end_ids = tuple(eos) if isinstance(eos, (list, tuple)) else (() if eos is None else (int(eos),))
    if not end_ids:
        raise EvalkitError("the checkpoint defines no end-of-sequence token, so answers would never end")
    pad = generation_config.pad_token_id
    if pad is None:
        pad = tokenizer.pad_token_id
    return end_ids, int(end_ids[0] if pad is None else pad)


def _end_length(ids: list[int], end_ids: tuple[int, ...]) -> int:
    for position, token in enumerate(ids):
        if token in end_ids:
            return position + 1
    return len(ids)


def _find_stop(text: str, stop: tuple[str, ...]) -> int | None:
    positions = [found for found in (text.find(s) for s in stop) if found >= 0]
    return min(positions) if positions else None


def _continuation_length(prompt_ids: list[int], joint_ids: list[int]) -> int:
    common = 0
    for a, b in zip(prompt_ids, joint_ids):
        if a != b:
            break
        common += 1
    count = len(joint_ids) - common
    if count <= 0:
        raise EvalkitError("a continuation added no tokens to its prompt; check the task's options")
    return count
