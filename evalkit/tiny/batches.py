"""The training batches: a pure function of (seed, step), so a resumed run sees the same data.

Each image slot draws a task by the mix weights, then one fresh example of that task's train split
(the generator never draws a test image); all samples of the example are used (an MME image gives
its yes and its no question), with the auxiliary questions about the same image when asked for
(``auxiliary.py``); ``questions_per_image`` keeps at most that many of them, drawn at random, so that
a step's tokens spread over more images. An image's sequences are packed into one row
(``packing.py``). Early steps may cap the shapes per scene (``curriculum``), so that grounding
starts from single objects.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from evalkit.models.qwen_vl.image_processing import preprocess_images
from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
from evalkit.synth import iter_examples
from evalkit.tasks.registry import get_task
from evalkit.tiny.auxiliary import AuxiliaryQuestions, with_auxiliary
from evalkit.tiny.dense import DenseWords, cell_targets
from evalkit.tiny.packing import ImageGroup, PackedBatch, pack
from evalkit.tiny.sequences import TrainingSequence, training_sequences

EXAMPLE_SPACE = 10**9  # example indices are drawn from this range of the train split


@dataclass(frozen=True)
class Curriculum:
    """Until ``until_fraction`` of the run, ``tasks`` draw single-shape scenes with a probability that
    falls linearly from 1 to 0."""

    tasks: tuple[str, ...] = ("synth_refcoco",)
    until_fraction: float = 0.25

    def __post_init__(self) -> None:
        if not 0 < self.until_fraction <= 1:
            raise ValueError(f"a curriculum lasts a fraction of the run in (0, 1], got {self.until_fraction}; "
                             "to train without one, give it no tasks")

    def max_shapes(self, task: str, step: int, total_steps: int, rng: random.Random) -> int | None:
        if task not in self.tasks or total_steps <= 0:
            return None
        progress = step / (self.until_fraction * total_steps)
        return 1 if rng.random() >= progress else None


@dataclass(frozen=True)
class Batch:
    ids: torch.Tensor  # (batch, length), left padded
    valid: torch.Tensor  # (batch, length) bool
    targets: torch.Tensor  # (batch, length - 1): the next token where the loss applies, else -100
    pixels: torch.Tensor  # (images, 3, size, size) in span order
    tasks: tuple[str, ...]


class BatchStream:
    def __init__(self, mix: Mapping[str, float], tokenizer: QwenTokenizer, seed: int, batch_size: int,
                 total_steps: int, curriculum: Curriculum, image_size: int, protocol: str = "qwen-vl",
                 auxiliary: AuxiliaryQuestions | None = None, dense: bool = False,
                 dense_words: DenseWords = DenseWords(), questions_per_image: int = 0) -> None:
        if questions_per_image < 0:
            raise ValueError(f"questions_per_image is a number of questions, or 0 for all of them; "
                             f"got {questions_per_image}")
        self.names = tuple(mix)
        self.weights = tuple(mix[n] for n in self.names)
        self.specs = {n: get_task(n) for n in self.names}
        self.protocols = {n: spec.protocol(protocol) for n, spec in self.specs.items()}
        self.tokenizer = tokenizer
        self.seed = seed
        self.batch_size = batch_size
        self.total_steps = total_steps
        self.curriculum = curriculum
        self.image_size = image_size
        self.auxiliary = auxiliary
        self.dense = dense
        self.dense_words = dense_words
        self.questions_per_image = questions_per_image

    def groups(self, step: int) -> list[ImageGroup]:
        """``batch_size`` images, each with the sequences of all its questions, or of ``questions_per_image``
        of them (and its dense targets)."""
        rng = random.Random(f"tiny/{self.seed}/{step}")
        out: list[ImageGroup] = []
        while len(out) < self.batch_size:
            task = rng.choices(self.names, self.weights)[0]
            max_shapes = self.curriculum.max_shapes(task, step, self.total_steps, rng)
            example = next(iter_examples(task, "train", 1, self.seed, start=rng.randrange(EXAMPLE_SPACE),
                                         max_shapes=max_shapes))
            if self.auxiliary is not None:
                example = with_auxiliary(task, example, rng, self.auxiliary)
            sequences = training_sequences(self.specs[task], self.protocols[task], self.tokenizer, [example])
            cap = self.questions_per_image
            if cap and len(sequences) > cap:
                # a random few, in their order; drawn apart from ``rng``, so the images stay those of the
                # stream without a cap
                keep = random.Random(f"tiny/{self.seed}/{step}/{len(out)}/questions")
                sequences = [sequences[i] for i in sorted(keep.sample(range(len(sequences)), cap))]
            cells = cell_targets(example.scene, self.tokenizer, self.dense_words) if self.dense else None
            out.append(ImageGroup(sequences, cells))
        return out

    def sequences(self, step: int) -> list[TrainingSequence]:
        return [s for group in self.groups(step) for s in group.sequences]

    def batches(self, step: int, micro_batch: int) -> list[Batch]:
        """The step's sequences one by one, sorted by length and cut into micro-batches."""
        ordered = sorted(self.sequences(step), key=lambda s: len(s.ids))
        return [collate(ordered[i : i + micro_batch], self.tokenizer.eod_id, self.image_size)
                for i in range(0, len(ordered), micro_batch)]

    def packed(self, step: int, micro_batch: int) -> list[PackedBatch]:
        """The step's images, one packed row each, sorted by row length and cut into micro-batches."""
        ordered = sorted(self.groups(step), key=lambda g: sum(len(s.ids) for s in g.sequences))
        return [pack(ordered[i : i + micro_batch], self.tokenizer.eod_id, self.image_size,
                     self.tokenizer.img_start_id)
                for i in range(0, len(ordered), micro_batch)]


def collate(sequences: Sequence[TrainingSequence], pad_id: int, image_size: int) -> Batch:
    length = max(len(s.ids) for s in sequences)
    ids = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    valid = torch.zeros((len(sequences), length), dtype=torch.bool)
    targets = torch.full((len(sequences), length - 1), -100, dtype=torch.long)
    for row, s in enumerate(sequences):
        pad = length - len(s.ids)
        ids[row, pad:] = torch.tensor(s.ids)
        valid[row, pad:] = True
        # position p predicts token p + 1: the answer's tokens are predicted from answer_start - 1 on
        targets[row, pad + s.answer_start - 1 :] = ids[row, pad + s.answer_start :]
    pixels = preprocess_images([image for s in sequences for image in s.images], image_size)
    return Batch(ids, valid, targets, pixels, tuple(s.task for s in sequences))
