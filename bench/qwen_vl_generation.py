"""Batched greedy generation: batch 8 vs batch 1, samples/s, on MME-shaped chat prompts.

Each prompt is the official MME form (ChatML, default system prompt, ``<img>…</img>\\n`` question).
The same prompts run one at a time and in batches of 8 (left padded, KV cache); the bench prints
both throughputs, their ratio, and whether every answer is identical across the two runs.
"""

from __future__ import annotations

from qwen_vl_common import best_of, model_from_args, preload, synthetic_image

from evalkit.models.base import GenerateRequest, GenerationSettings
from evalkit.prompts.types import ImagePart, Prompt, TextPart, Turn

QUESTIONS = (
    "Is there a dog in this image? Please answer yes or no.",
    "Are there two people in the image? Please answer yes or no.",
    "Is the sky in the image blue? Please answer yes or no.",
    "Is this photo taken in a kitchen? Please answer yes or no.",
)


def make_requests(n: int, max_new_tokens: int) -> list[GenerateRequest]:
    settings = GenerationSettings(max_new_tokens=max_new_tokens)
    return [
        GenerateRequest(
            Prompt(
                turns=(Turn("user", (ImagePart(synthetic_image(i)), TextPart("\n" + QUESTIONS[i % len(QUESTIONS)]))),),
                style="chat",
            ),
            settings,
        )
        for i in range(n)
    ]


def run(model, requests: list[GenerateRequest], batch: int) -> list[str]:  # type: ignore[no-untyped-def]
    texts: list[str] = []
    for start in range(0, len(requests), batch):
        texts.extend(r.text for r in model.generate(requests[start : start + batch]))
    return texts


def main() -> None:
    model, args = model_from_args(__doc__.splitlines()[0])
    requests = make_requests(args.samples, max_new_tokens=16)
    preload([image for r in requests for image in r.prompt.images])
    timings = best_of(args.rounds, {"one": lambda: run(model, requests, 1), "eight": lambda: run(model, requests, 8)})
    (one, t_one), (eight, t_eight) = timings["one"], timings["eight"]
    n = len(requests)
    print(
        f"model: {model.identity().name} ({model.identity().dtype}, {model.network.device})  "
        f"prompts: {n}  max_new_tokens: 16"
    )
    print(f"batch 1  {t_one:8.3f} s  {n / t_one:8.2f} samples/s")
    print(f"batch 8  {t_eight:8.3f} s  {n / t_eight:8.2f} samples/s")
    print(f"batch 8 / batch 1 throughput: {t_one / t_eight:.2f}x")
    print(f"identical answers: {one == eight} ({sum(a == b for a, b in zip(one, eight))}/{n})")


if __name__ == "__main__":
    main()
