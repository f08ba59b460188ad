"""Train ``qwen-vl-tiny`` on the synthetic train splits: ``python -m evalkit.tiny.train --work-dir DIR``.

The run is reproducible from ``--seed``: the vocabulary, the initial weights and every batch are
drawn from it, so the same seed and steps give the same weights on the same machine, bit for bit with
``--threads 1``. With more threads, some CPU kernels sum in an order that changes when other processes
compete for the cores, so a run on busy cores ends close to, but not exactly at, an undisturbed one. The state is
saved every ``--save-minutes`` (and exported in the official layout to ``DIR/model``); ``--resume``
continues from it, also with a larger ``--steps`` (the cosine schedule is stretched to the new end),
and refuses other settings than the run's own, which its checkpoint records.
``--stop-at`` ends a run early at a given step without changing its schedule (to reproduce a
checkpoint saved part-way). ``--init-from FOLDER`` continues from an exported checkpoint (e.g. the
bundled one) when the training state is not at hand: its weights, vocabulary and step are taken,
the optimizer moments start afresh, and the export's record of its own training is kept in this
run's (``evalkit_training.initialized_from``). The learning-rate schedule runs from step 0 to
``--steps``; ``--schedule-start STEP`` has it warm up and decay afresh from ``STEP`` instead (the
step of the checkpoint a continuation starts from). ``--layers`` sets the language model's depth; a
continuation from a shallower checkpoint keeps its layers and adds fresh ones on top whose output
projections start at zero, so that it starts out computing what the checkpoint computes
(``initialization.grow``).
``--mix TASK=WEIGHT,...`` sets which synthetic tasks training draws images from, and how often
(``settings.DEFAULT_MIX`` by default; the vocabulary is learned from every task's examples whatever the mix).
``--balance images`` weighs every image of a step alike in the objective, its questions sharing its
part, where by default every question weighs alike (an image of VQA asks about 18, one of OCR-VQA 2).
``--questions-per-image N`` keeps a random N of each image's questions, so that a step's tokens spread
over more images (``batches.BatchStream``; 0, the default, keeps all).
``--curriculum-tasks`` and ``--curriculum-until`` set which tasks start from single-shape scenes and
for how much of the run (by default grounding only, for the first quarter).
Dense targets that name a shape's place and a glyph's word, and a vocabulary learned from answers as
training appends them, are on by default (``dense.py``, ``build_vocabulary``); ``--no-dense-places``,
``--no-dense-glyph-words`` and ``--no-vocab-as-appended`` leave them out, as earlier recipes did.
``--seed-locations-and-scenes`` has every SEED image also ask, in SEED's choice format, the quadrant
of each shape and which description fits the scene (``auxiliary.choice_facts``); without it a model
answered these two dimensions at chance. ``--balanced-counts`` thins the auxiliary count questions,
most of which would answer 1, so that their answers are spread about evenly (``auxiliary.COUNTS_KEPT``);
both are off by default and were used by the bundled model's second and later runs.
``--option-check-weight W`` also asks, at the last token of each option of a choice question, whether
that option is the right one (``sequences.option_checks``), with weight ``W`` against the answers'
mean loss (off by default; the bundled model's fourth and later runs used 1). ``--vqa-places`` has every
VQA image also ask, as short answers in SEED's option words, the quadrant of each shape and where each
clear pair is relative to each other (``auxiliary.vqa_rows``); off by default, used by the bundled
model's seventh and eighth runs.
Training is in fp32 by default. ``--bf16`` trains under bf16 autocast, which is fast only on a CPU with
native bf16 instructions; on one without, the run logs a warning (``bench/tiny_train_speed.py``).
``--export`` copies the final model to a folder (the bundled one is ``evalkit/_models/qwen-vl-tiny``);
``--export-dtype fp16`` (or ``bf16``) stores its weights at half the size, the model still running in fp32.

Every ``LOG_EVERY`` steps ``DIR/train.log`` gets a line with the mean loss of those steps' answers per task
(``by_task``) and per task and subtask (``by_subtask``, e.g. ``synth_mme/position``), so that a subtask
the model is not learning shows up while the run goes on rather than only in its scores.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import time
from collections import defaultdict
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from evalkit.errors import ConfigError
from evalkit.models.qwen_vl.config import QwenVLConfig
from evalkit.models.qwen_vl.network import QwenVLNetwork
from evalkit.models.qwen_vl.prompt import render_prompt_text
from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
from evalkit.prompts.build import build_prompt
from evalkit.synth import generate_examples
from evalkit.tasks.registry import get_task
from evalkit.tiny.architecture import TinyArchitecture
from evalkit.tiny.arguments import parse_args
from evalkit.tiny.batches import Batch, BatchStream, Curriculum
from evalkit.tiny.checkpoint import export_checkpoint, load_state, save_state
from evalkit.tiny.dense import DenseWords
from evalkit.tiny.initialization import grow, initialize
from evalkit.tiny.packing import PackedBatch, packed_hidden
from evalkit.tiny.sequences import FAMILY, answer_text, appended_answer, samples_of
from evalkit.tiny.settings import (
    BALANCES,
    DEFAULT_MIX,
    TrainSettings,
    check_resumed_settings,
    jsonable,
    provenance,
)
from evalkit.tiny.vocabulary import mergeable_ranks, train_bpe, write_tiktoken

LOG_EVERY = 20  # steps per line of the training log


def build_vocabulary(settings: TrainSettings, path: Path) -> None:
    """Learn BPE merges from the prompts and answers of train examples (a stream apart from training's)
    of every synthetic task training knows, whatever the run's mix: runs of different mixes share the
    vocabulary, so that one can continue from another (``--init-from``)."""
    texts: list[str] = []
    for task in DEFAULT_MIX:
        spec = get_task(task)
        protocol = spec.protocol("qwen-vl")
        examples = generate_examples(task, "train", settings.vocab_examples, settings.seed + 1_000_003)
        for sample in samples_of(spec, protocol, examples):
            prompt = render_prompt_text(build_prompt(sample, protocol, FAMILY))
            texts.append(prompt)
            if settings.vocab_as_appended:
                texts.append(appended_answer(sample, protocol, prompt))
            else:
                texts.append(" " + answer_text(sample, protocol))
    write_tiktoken(mergeable_ranks(train_bpe(texts, settings.vocab_merges)), path)


EMULATED_BF16 = ("this CPU has no native bf16 instructions (AVX512-BF16 or AMX), so bf16 autocast is emulated "
                 "and usually slower than fp32 here; without --bf16 the run trains in fp32 (as the bundled model was), "
                 "bench/tiny_train_speed.py measures both side by side")


def native_bf16() -> bool | None:
    """Whether the CPU computes bf16 natively (AVX512-BF16 or AMX tiles); None if torch cannot tell."""
    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    if any(probe is None for probe in probes):
        return None
    return any(bool(probe()) for probe in probes)  # type: ignore[misc]


def learning_rate(settings: TrainSettings, step: int) -> float:
    """Linear warmup over ``warmup`` steps, then a cosine to ``min_lr_ratio * lr`` at ``steps``, all
    counted from ``schedule_start``."""
    step = step - settings.schedule_start
    if step < settings.warmup:
        return settings.lr * (step + 1) / settings.warmup
    span = settings.steps - settings.schedule_start
    progress = min(1.0, (step - settings.warmup) / max(1, span - settings.warmup))
    floor = settings.min_lr_ratio
    return settings.lr * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def sequence_hidden(network: QwenVLNetwork, batch: Batch, bf16: bool = False) -> torch.Tensor:
    """The last hidden states of a batch of sequences computed one per row: (batch, length, width)."""
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        cache = network.new_cache(batch.valid, batch.ids.size(1), "per-sample")
        features = network.encode_images(batch.pixels)
        return network(batch.ids, cache, valid=batch.valid, image_features=features)


def sequence_losses(network: QwenVLNetwork, batch: Batch, bf16: bool) -> torch.Tensor:
    """Each sequence's mean answer-token loss, the sequences computed one per row."""
    hidden = sequence_hidden(network, batch, bf16)
    scored = batch.targets != -100
    logits = network.logits(hidden[:, :-1][scored].float())
    token_loss = F.cross_entropy(logits, batch.targets[scored], reduction="none")
    rows = scored.nonzero()[:, 0]
    return torch.zeros(batch.ids.size(0)).index_add_(0, rows, token_loss) / scored.sum(1).clamp(min=1)


class PackedLosses(NamedTuple):
    answers: torch.Tensor  # (sequences,) each packed sequence's mean answer-token loss
    dense: torch.Tensor  # the summed loss of the image tokens' dense targets (zero when there are none)
    checks: torch.Tensor  # the summed loss of the option checks (zero when there are none)


def packed_losses(network: QwenVLNetwork, batch: PackedBatch, bf16: bool) -> PackedLosses:
    """The losses of a packed batch; ``answers`` are the values ``sequence_losses`` gives one by one."""
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        hidden = packed_hidden(network, batch)
    logits = network.logits(hidden[batch.loss_rows, batch.loss_cols].float())
    token_loss = F.cross_entropy(logits, batch.loss_ids, reduction="none")
    n = len(batch.tasks)
    sums = torch.zeros(n).index_add_(0, batch.loss_sequence, token_loss)
    counts = torch.zeros(n).index_add_(0, batch.loss_sequence, torch.ones_like(token_loss))
    return PackedLosses(sums / counts.clamp(min=1), _summed_loss(network, hidden, batch.dense_rows, batch.dense_cols,
                                                                 batch.dense_ids),
                        _summed_loss(network, hidden, batch.check_rows, batch.check_cols, batch.check_ids))


class StepCounts(NamedTuple):
    """What a step's micro-batches hold in all, which each micro-batch's part of the objective divides by."""

    sequences: int
    images: int
    cells: int  # dense targets (at least 1)
    checks: int  # option checks (at least 1)

    @classmethod
    def of(cls, batches: list[PackedBatch]) -> StepCounts:
        return cls(sum(len(b.tasks) for b in batches), sum(b.ids.size(0) for b in batches),
                   max(1, sum(b.dense_ids.numel() for b in batches)),
                   max(1, sum(b.check_ids.numel() for b in batches)))


def step_objective(losses: PackedLosses, batch: PackedBatch, settings: TrainSettings,
                   counts: StepCounts) -> tuple[torch.Tensor, torch.Tensor]:
    """A micro-batch's part of the step's objective (answers, dense targets and, when weighted, option
    checks), and of its answer loss alone."""
    answers = answer_objective(losses.answers, batch, settings.balance, counts.sequences, counts.images)
    objective = answers + settings.dense_weight * losses.dense / counts.cells
    if settings.option_check_weight > 0:
        objective = objective + settings.option_check_weight * losses.checks / counts.checks
    return objective, answers


def answer_objective(losses: torch.Tensor, batch: PackedBatch, balance: str, n_sequences: int,
                     n_images: int) -> torch.Tensor:
    """A micro-batch's part of the step's answer loss, ``losses`` being its sequences' mean answer losses
    and the step holding ``n_sequences`` sequences of ``n_images`` images in all (``settings.BALANCES``):
    the mean over the step's questions, or over its images of each image's mean over its questions."""
    if balance == "questions":
        return losses.sum() / n_sequences
    if balance == "images":
        per_row = torch.bincount(batch.sequence_rows, minlength=batch.ids.size(0))
        return (losses / per_row[batch.sequence_rows]).sum() / n_images
    raise ConfigError(f"unknown balance {balance!r}; use one of {', '.join(BALANCES)}")


def _summed_loss(network: QwenVLNetwork, hidden: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor,
                 ids: torch.Tensor) -> torch.Tensor:
    """The LM head's summed loss for token ``ids`` at the hidden states at ``rows``, ``cols``."""
    if not ids.numel():
        return torch.zeros(())
    return F.cross_entropy(network.logits(hidden[rows, cols].float()), ids, reduction="sum")


def train(settings: TrainSettings, export: Path | None = None, resume: bool = False,
          stop_at: int | None = None, init_from: Path | None = None, export_dtype: str = "fp32") -> Path:
    torch.set_num_threads(settings.threads)
    work = settings.work_dir
    work.mkdir(parents=True, exist_ok=True)
    vocab = work / "qwen.tiktoken"
    if init_from is not None and not vocab.is_file():
        shutil.copyfile(init_from / "qwen.tiktoken", vocab)
    if not vocab.is_file():
        build_vocabulary(settings, vocab)
    architecture = settings.architecture
    tokenizer = QwenTokenizer.from_file(vocab, image_span=architecture.queries)
    config = QwenVLConfig.from_dict(architecture.config_json(tokenizer))
    network = QwenVLNetwork(config)
    initialize(network, settings.seed)
    decay = [p for n, p in network.named_parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for n, p in network.named_parameters() if p.requires_grad and p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": settings.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=settings.lr, betas=(0.9, 0.98))
    start = 0
    lineage: dict[str, Any] | None = None  # the training record of the export --init-from started from
    if resume:
        saved = load_state(work, network, optimizer)
        check_resumed_settings(saved.get("settings", {}), settings)
        start = int(saved["step"])
        lineage = saved.get("initialized_from")
        if start > settings.steps:
            raise ConfigError(f"--resume: the state in {work} is at step {start}, past --steps {settings.steps}; "
                              f"pass --steps {start} or more")
    elif init_from is not None:
        config_json = json.loads((init_from / "config.json").read_text(encoding="utf-8"))
        sizes = config_json.get("evalkit_tiny_architecture")
        if sizes is not None and replace(TinyArchitecture(**sizes), layers=architecture.layers) != architecture:
            raise ConfigError(f"{init_from} holds a model of other sizes ({sizes}) than this run trains "
                              f"({asdict(architecture)}); start from a checkpoint of the same architecture "
                              f"(only --layers may be larger)")
        try:
            grow(network, load_file(str(init_from / "model.safetensors")))
        except ConfigError as error:
            raise ConfigError(f"--init-from {init_from}: {error}") from None
        lineage = config_json.get("evalkit_training", {})
        start = int(lineage.get("steps_done", 0))
    if settings.schedule_start > start:
        raise ConfigError(f"--schedule-start {settings.schedule_start} is past the step this run starts at "
                          f"({start}); the schedule can only start at or before it")
    stream = batch_stream(settings, tokenizer)
    n_params = sum(p.numel() for p in network.parameters())
    with open(work / "train.log", "a", encoding="utf-8") as log:
        _log(log, {"event": "start", "step": start, "parameters": n_params, "settings": jsonable(settings)})
        if settings.bf16 and native_bf16() is False:
            _log(log, {"event": "warning", "message": EMULATED_BF16})
        last_save = time.monotonic()
        running: dict[str, list[float]] = defaultdict(list)
        running_subtasks: dict[str, list[float]] = defaultdict(list)
        began = time.monotonic()
        network.train()
        end = settings.steps if stop_at is None else min(stop_at, settings.steps)
        for step in range(start, end):
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(settings, step)
            optimizer.zero_grad(set_to_none=True)
            total = 0.0
            batches = stream.packed(step, settings.micro_batch)
            counts = StepCounts.of(batches)
            for batch in batches:
                outputs = packed_losses(network, batch, settings.bf16)
                losses, dense, checks = outputs
                objective, answers = step_objective(outputs, batch, settings, counts)
                objective.backward()
                total += float(answers.detach())
                if batch.dense_ids.numel():
                    running["dense"].append(float(dense.detach()) / batch.dense_ids.numel())
                if batch.check_ids.numel():
                    running["option_checks"].append(float(checks.detach()) / batch.check_ids.numel())
                for task, subtask, value in zip(batch.tasks, batch.subtasks, losses.detach().tolist()):
                    running[task].append(value)
                    if subtask is not None:
                        running_subtasks[f"{task}/{subtask}"].append(value)
            torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
            optimizer.step()
            if (step + 1) % LOG_EVERY == 0:
                _log(log, {"step": step + 1, "lr": round(learning_rate(settings, step), 7), "loss": round(total, 4),
                           "elapsed_s": round(time.monotonic() - began), "by_task": _means(running),
                           "by_subtask": _means(running_subtasks)})
                running.clear()
                running_subtasks.clear()
            if time.monotonic() - last_save > settings.save_minutes * 60 or step + 1 == end:
                _save(work, network, optimizer, step + 1, settings, architecture, tokenizer, vocab, lineage)
                last_save = time.monotonic()
        if start >= end:
            _save(work, network, optimizer, start, settings, architecture, tokenizer, vocab, lineage)
        if export is not None:
            network.eval()
            export_checkpoint(export, network, architecture, tokenizer, vocab,
                              provenance(settings, max(start, end), lineage), export_dtype)
        _log(log, {"event": "done", "step": max(start, end)})
    return work / "model"


def _save(work: Path, network: QwenVLNetwork, optimizer: torch.optim.Optimizer, step: int, settings: TrainSettings,
          architecture: TinyArchitecture, tokenizer: QwenTokenizer, vocab: Path,
          lineage: dict[str, Any] | None) -> None:
    info: dict[str, Any] = {"step": step, "settings": jsonable(settings)}
    if lineage is not None:
        info["initialized_from"] = lineage
    save_state(work, network, optimizer, info)
    export_checkpoint(work / "model", network, architecture, tokenizer, vocab, provenance(settings, step, lineage))


def batch_stream(settings: TrainSettings, tokenizer: QwenTokenizer) -> BatchStream:
    """The stream of packed training batches ``settings`` describe."""
    return BatchStream(settings.mix, tokenizer, settings.seed, settings.batch_size, settings.steps,
                       Curriculum(settings.curriculum_tasks, settings.curriculum_until),
                       settings.architecture.image_size, auxiliary=settings.auxiliary_questions(),
                       dense=settings.dense_weight > 0,
                       dense_words=DenseWords(settings.dense_places, settings.dense_glyph_words),
                       questions_per_image=settings.questions_per_image)


def _means(losses: dict[str, list[float]]) -> dict[str, float]:
    return {key: round(sum(values) / len(values), 4) for key, values in losses.items()}


def _log(handle: object, record: dict[str, object]) -> None:
    line = json.dumps(record)
    print(line, flush=True)
    handle.write(line + "\n")  # type: ignore[attr-defined]
    handle.flush()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    train(**parse_args(argv)._asdict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
