"""The answer loss of a trained ``qwen-vl-tiny`` per task and subtask, on training batches it never saw:
``python -m evalkit.tiny.probe --model DIR``.

A test score says what a model gets right; this says what it has learned of the training task itself.
The batches come from the same stream as training's (``batches.BatchStream``: the same generators,
auxiliary questions and prompts), at steps far past any run's end, so no image of them was trained
on. A subtask whose loss stays where guessing leaves it has not been learned at all, which a score
near chance cannot tell apart from a model that knows the answer but not the benchmark's format.
The table gives the loss per answer token (the end token included) and per whole answer. How many
tokens an answer has depends on the vocabulary, so chance is easiest read per answer: a coin toss on a
yes/no question gives about 0.69, a random letter for a four-option choice about 1.39. With the bundled
vocabulary an MME answer is two tokens (``Yes`` or ``No``, then the end token), so its coin toss gives
0.35 per token; a SEED answer is the letter alone.

``--positions`` asks instead how well a token's place in the image can be read from the image
features the language model receives: a linear classifier is fitted on most of a set of unseen
training images and scored on the rest, for each token's grid row, grid column and image half. The
same readout is given for the features of the same network with the weights training started from
(``initialization.initialize`` with the recorded seed), so that a place the checkpoint does not hold
shows as either never learned or lost in training.

``--option-checks`` asks, of unseen SEED questions, what the LM head says at the last token of each
option (``sequences.option_checks``): per dimension, the share of options it judges right (`` yes``
above `` no`` exactly for the right one) and the share of questions whose most-`` yes`` option is the
right one. A dimension whose judgements sit at the share of wrong options (three in four) has not
learned to judge them, whatever it answers; one judged right but answered wrong fails at finding the
letter of the option it judged.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from evalkit.errors import ConfigError, ModelLoadError
from evalkit.models.qwen_vl import load
from evalkit.models.qwen_vl.config import load_config
from evalkit.tiny.batches import BatchStream, Curriculum, collate
from evalkit.tiny.initialization import initialize
from evalkit.tiny.sequences import check_tokens
from evalkit.tiny.settings import DEFAULT_MIX, auxiliary_questions_of
from evalkit.tiny.train import packed_losses, sequence_hidden

FIRST_STEP = 10**7  # far past the end of any training run, so the probe's batches are unseen


@dataclass(frozen=True)
class SubtaskLoss:
    key: str  # "task/subtask", or "task" for sequences without a subtask
    sequences: int
    loss: float  # mean over sequences of the mean answer-token loss
    tokens: float  # mean answer tokens per sequence
    answer_loss: float  # mean over sequences of the summed answer-token loss


def _training_settings(model_dir: str) -> dict[str, Any]:
    """The training settings a checkpoint records (``config.json``'s ``evalkit_training``), if any."""
    config = Path(model_dir) / "config.json"
    recorded = json.loads(config.read_text(encoding="utf-8")) if config.is_file() else {}
    return recorded.get("evalkit_training", {}).get("settings", {})


def _synthetic(tasks: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [t for t in tasks if not t.startswith("synth_")]
    if unknown:
        raise ConfigError(f"the probe draws synthetic training data; {', '.join(unknown)} is not a synth_ task")
    return tasks


def probe(model_dir: str, tasks: tuple[str, ...] | None = None, batches: int = 8, batch_size: int = 24,
          seed: int | None = None) -> list[SubtaskLoss]:
    """Answer losses of the checkpoint at ``model_dir`` on ``batches`` unseen batches of ``tasks`` (by
    default the tasks it was trained on), with the training stream's settings recorded in it."""
    settings = _training_settings(model_dir)
    chosen = _synthetic(tasks or tuple(settings.get("mix", DEFAULT_MIX)))
    model = load(model_dir, device="cpu")
    network = model.network.eval()
    stream = BatchStream({t: 1.0 for t in chosen}, model.tokenizer, settings.get("seed", 0) if seed is None else seed,
                         batch_size, FIRST_STEP, Curriculum(()), network.config.visual.image_size,
                         auxiliary=auxiliary_questions_of(settings))
    losses: dict[str, list[tuple[float, int]]] = defaultdict(list)
    with torch.no_grad():
        for step in range(FIRST_STEP, FIRST_STEP + batches):
            for batch in stream.packed(step, batch_size):
                values = packed_losses(network, batch, bf16=False).answers
                counts = torch.bincount(batch.loss_sequence, minlength=len(batch.tasks)).tolist()
                for task, subtask, value, count in zip(batch.tasks, batch.subtasks, values.tolist(), counts):
                    losses[task if subtask is None else f"{task}/{subtask}"].append((value, count))
    return [SubtaskLoss(key, len(v), sum(m for m, _ in v) / len(v), sum(n for _, n in v) / len(v),
                        sum(m * n for m, n in v) / len(v)) for key, v in sorted(losses.items())]


@dataclass(frozen=True)
class OptionChecks:
    dimension: str  # the SEED dimension (subtask)
    questions: int
    judged_right: float  # share of options whose check says " yes" above " no" exactly when it is the answer
    best_is_answer: float  # share of questions whose option most judged " yes" is the answer


def option_check_probe(model_dir: str, batches: int = 8, batch_size: int = 24,
                       seed: int | None = None) -> list[OptionChecks]:
    """What the checkpoint at ``model_dir`` says at the last token of each option of unseen
    ``synth_seed`` questions (the benchmark's own, no auxiliary ones), per dimension."""
    settings = _training_settings(model_dir)
    model = load(model_dir, device="cpu")
    network = model.network.eval()
    tokenizer = model.tokenizer
    yes, no = check_tokens(tokenizer)
    stream = BatchStream({"synth_seed": 1.0}, tokenizer, settings.get("seed", 0) if seed is None else seed,
                         batch_size, FIRST_STEP, Curriculum(()), network.config.visual.image_size)
    judged: dict[str, list[bool]] = defaultdict(list)
    best: dict[str, list[bool]] = defaultdict(list)
    with torch.no_grad():
        for step in range(FIRST_STEP, FIRST_STEP + batches):
            sequences = stream.sequences(step)
            batch = collate(sequences, tokenizer.eod_id, network.config.visual.image_size)
            hidden = sequence_hidden(network, batch)
            for row, sequence in enumerate(sequences):
                pad = batch.ids.size(1) - len(sequence.ids)
                logits = network.logits(hidden[row, [pad + at for at, _ in sequence.checks]].float())
                margin = (logits[:, yes] - logits[:, no]).tolist()
                right = [token == yes for _, token in sequence.checks]
                judged[str(sequence.subtask)] += [(m > 0) == r for m, r in zip(margin, right)]
                best[str(sequence.subtask)].append(right[margin.index(max(margin))])
    return [OptionChecks(d, len(best[d]), sum(judged[d]) / len(judged[d]), sum(best[d]) / len(best[d]))
            for d in sorted(best)]


def linear_readout(features: torch.Tensor, labels: torch.Tensor, fit_images: int, steps: int = 300) -> float:
    """Test accuracy of a linear classifier of ``labels`` (one per token) from ``features`` (images,
    tokens, width), fitted on the first ``fit_images`` images and scored on the others."""
    classes = int(labels.max()) + 1
    x = features.float().reshape(-1, features.size(-1))
    y = labels.repeat(features.size(0))
    split = fit_images * features.size(1)
    mean, std = x[:split].mean(0), x[:split].std(0) + 1e-5
    x = (x - mean) / std
    weight = torch.zeros(x.size(1), classes, requires_grad=True)
    bias = torch.zeros(classes, requires_grad=True)
    optimizer = torch.optim.Adam([weight, bias], lr=0.05)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(x[:split] @ weight + bias, y[:split]).backward()
        optimizer.step()
    with torch.no_grad():
        return float(((x[split:] @ weight + bias).argmax(1) == y[split:]).float().mean())


def position_probe(model_dir: str, tasks: tuple[str, ...] | None = None, batches: int = 12, batch_size: int = 24,
                   seed: int | None = None, initialised: bool = False) -> dict[str, float]:
    """How well each image token's grid row, grid column and image half (left or right) can be read
    linearly from the image features of the checkpoint at ``model_dir``, on unseen training images of
    ``tasks`` (by default those it was trained on): the test accuracy of a classifier fitted on 70% of them.
    ``initialised`` reads instead the features of the checkpoint's network with its weights drawn again
    as training drew them before the first step (the recorded training seed)."""
    return _position_readouts(model_dir, tasks, batches, batch_size, seed, (initialised,))[0]


def _position_readouts(model_dir: str, tasks: tuple[str, ...] | None, batches: int, batch_size: int,
                       seed: int | None, weights: tuple[bool, ...]) -> list[dict[str, float]]:
    """``position_probe`` for each of ``weights`` (False: the checkpoint's, True: as initialised, which must
    come last), with one load of the model and one draw of the images."""
    if batches * batch_size < 4:
        raise ConfigError("the position probe fits on some images and scores on others: give it at least 4 "
                          "(--batches times --batch-size)")
    settings = _training_settings(model_dir)
    chosen = _synthetic(tasks or tuple(settings.get("mix", DEFAULT_MIX)))
    seed = settings.get("seed", 0) if seed is None else seed
    model = load(model_dir, device="cpu")
    network = model.network.eval()
    stream = BatchStream({t: 1.0 for t in chosen}, model.tokenizer, seed, batch_size, FIRST_STEP, Curriculum(()),
                         network.config.visual.image_size)
    pixels = torch.cat([b.pixels for step in range(FIRST_STEP, FIRST_STEP + batches)
                        for b in stream.packed(step, batch_size)])
    grid = math.isqrt(network.config.visual.n_queries)
    cell = torch.arange(grid * grid)
    out = []
    for initialised in weights:
        if initialised:
            initialize(network, settings.get("seed", 0))
        with torch.no_grad():
            features = network.encode_images(pixels)
        if features.size(1) != grid * grid:
            raise ConfigError(f"the probe expects {grid * grid} image tokens, this model gives {features.size(1)}")
        torch.manual_seed(seed)
        fit = int(0.7 * features.size(0))
        out.append({name: linear_readout(features, labels, fit) for name, labels in
                    (("row", cell // grid), ("column", cell % grid), ("half", (cell % grid) // (grid // 2)))})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evalkit.tiny.probe", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True,
                        help="an exported qwen-vl-tiny folder (config.json, weights, vocabulary)")
    parser.add_argument("--tasks", default="", help="comma-separated synth_ tasks (default: those it was trained on)")
    parser.add_argument("--batches", type=int, default=8, help="unseen batches to draw (default 8)")
    parser.add_argument("--batch-size", type=int, default=24, help="images per batch (default 24)")
    parser.add_argument("--seed", type=int, default=None, help="the stream's seed (default: the training seed)")
    parser.add_argument("--positions", action="store_true",
                        help="instead, how well a linear classifier reads each image token's place from the "
                             "features of the images of --tasks, for the checkpoint and for its weights at "
                             "initialisation")
    parser.add_argument("--option-checks", action="store_true",
                        help="instead, per synth_seed dimension, how the LM head judges each option at its last "
                             "token (--tasks is not used)")
    args = parser.parse_args(argv)
    if args.batches < 1 or args.batch_size < 1:
        parser.error("--batches and --batch-size must be at least 1")
    tasks = tuple(t.strip() for t in args.tasks.split(",") if t.strip()) or None
    try:
        if args.option_checks:
            lines = _option_check_table(args)
        else:
            lines = _position_table(args, tasks) if args.positions else _loss_table(args, tasks)
    except (ConfigError, ModelLoadError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def _position_table(args: argparse.Namespace, tasks: tuple[str, ...] | None) -> list[str]:
    trained, initial = _position_readouts(args.model, tasks, args.batches, args.batch_size, args.seed, (False, True))
    grid = math.isqrt(load_config(Path(args.model)).visual.n_queries)
    chance = {"row": 1 / grid, "column": 1 / grid, "half": 0.5}
    return ["image token's place  checkpoint  at initialisation  chance"] + \
        [f"{name:<19}  {trained[name]:>10.3f}  {initial[name]:>17.3f}  {chance[name]:>6.3f}" for name in trained]


def _option_check_table(args: argparse.Namespace) -> list[str]:
    rows = option_check_probe(args.model, args.batches, args.batch_size, args.seed)
    width = max(len("synth_seed dimension"), *(len(r.dimension) for r in rows))
    return [f"{'synth_seed dimension':<{width}}  questions  options judged right  best option is the answer"] + \
        [f"{r.dimension:<{width}}  {r.questions:>9}  {r.judged_right:>20.3f}  {r.best_is_answer:>25.3f}" for r in rows]


def _loss_table(args: argparse.Namespace, tasks: tuple[str, ...] | None) -> list[str]:
    rows = probe(args.model, tasks, args.batches, args.batch_size, args.seed)
    width = max(len(r.key) for r in rows)
    return [f"{'task/subtask':<{width}}  sequences  tokens/answer  loss/token  loss/answer"] + \
        [f"{r.key:<{width}}  {r.sequences:>9}  {r.tokens:>13.2f}  {r.loss:>10.3f}  {r.answer_loss:>11.3f}"
         for r in rows]


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
