"""Choice by likelihood: shared prompt (evalkit) vs one full forward per option (official script).

ScienceQA-shaped prompts with four options (`` A``..`` D``), batches of 8 questions. The official
``evaluate_multiple_choice.py`` way runs, per batch, every prompt+option sequence through the model
(the image encoded once per option) with logits at every position; evalkit runs each prompt once
and reads the one-token options off its last position. A third column keeps the per-option
forward but computes logits only where they are scored, to show what the sharing alone buys.
Prints wall time per method, the ratios and whether all methods pick the same options.
"""

from __future__ import annotations

import torch
from qwen_vl_common import best_of, model_from_args, preload, synthetic_image

from evalkit.models.base import LoglikelihoodRequest
from evalkit.models.qwen_vl.generation import left_pad
from evalkit.prompts.types import ImagePart, Prompt, TextPart

BATCH = 8
LETTERS = (" A", " B", " C", " D")


def make_requests(n: int) -> list[LoglikelihoodRequest]:
    requests = []
    for i in range(n):
        question = (
            f"Context: N/A\nQuestion: Which object is shown in picture {i}?\n"
            "Options: A. a cat\nB. a dog\nC. a bicycle\nD. a mountain\nAnswer:"
        )
        requests.append(LoglikelihoodRequest(Prompt.raw(ImagePart(synthetic_image(i)), TextPart(question)), LETTERS))
    return requests


def shared_prompt(model, requests: list[LoglikelihoodRequest]) -> list[int]:  # type: ignore[no-untyped-def]
    choices = []
    for start in range(0, len(requests), BATCH):
        for scores in model.loglikelihood(requests[start : start + BATCH]):
            losses = [s.mean_loss for s in scores]
            choices.append(losses.index(min(losses)))
    return choices


@torch.inference_mode()
def per_option_forward(model, requests: list[LoglikelihoodRequest], all_logits: bool) -> list[int]:  # type: ignore[no-untyped-def]
    network, tok = model.network, model.tokenizer
    choices = []
    for start in range(0, len(requests), BATCH):
        batch = requests[start : start + BATCH]
        rendered = [model.render(r.prompt) for r in batch]
        sequences, targets = [], []
        for r, req in zip(rendered, batch):
            for text in req.continuations:
                target = tok.encode(text)
                sequences.append(list(r.ids) + target)
                targets.append(len(target))
        repeated = [r for r in rendered for _ in LETTERS]  # the official batch encodes each image once per option
        features = model.image_features(repeated)
        ids, valid = left_pad(sequences, tok.eod_id)
        cache = network.new_cache(valid[:, :-1], ids.size(1) - 1, "padded")
        hidden = network(ids[:, :-1], cache, valid=valid[:, :-1], image_features=features)
        if all_logits:
            logits = network.logits(hidden).float()
        else:
            width = max(targets)
            logits = network.logits(hidden[:, -width:]).float()
        labels = ids[:, 1:][:, -logits.size(1):].to(logits.device)
        ce = torch.nn.functional.cross_entropy(logits.permute(0, 2, 1), labels, reduction="none")
        losses = [float(ce[row, -n:].mean()) for row, n in enumerate(targets)]
        for q in range(len(batch)):
            option_losses = losses[q * len(LETTERS) : (q + 1) * len(LETTERS)]
            choices.append(option_losses.index(min(option_losses)))
    return choices


def main() -> None:
    model, args = model_from_args(__doc__.splitlines()[0])
    requests = make_requests(args.samples)
    preload([image for r in requests for image in r.prompt.images])
    timings = best_of(args.rounds, {
        "shared": lambda: shared_prompt(model, requests),
        "official": lambda: per_option_forward(model, requests, True),
        "scored_only": lambda: per_option_forward(model, requests, False),
    })
    (shared, t_shared), (official, t_official), (scored_only, t_scored_only) = (
        timings["shared"], timings["official"], timings["scored_only"]
    )
    n = len(requests)
    print(
        f"model: {model.identity().name} ({model.identity().dtype}, {model.network.device})  "
        f"questions: {n}  options: 4"
    )
    print(f"shared prompt (evalkit)            {t_shared:8.3f} s  {n / t_shared:8.2f} questions/s")
    print(f"per-option forward, all logits     {t_official:8.3f} s  {n / t_official:8.2f} questions/s")
    print(f"per-option forward, scored logits  {t_scored_only:8.3f} s  {n / t_scored_only:8.2f} questions/s")
    print(f"speed-up vs official per-option forward: {t_official / t_shared:.2f}x")
    print(f"speed-up vs per-option forward with scored logits only: {t_scored_only / t_shared:.2f}x")
    print(
        f"identical choices: {shared == official == scored_only} "
        f"({sum(a == b for a, b in zip(shared, official))}/{n})"
    )


if __name__ == "__main__":
    main()
