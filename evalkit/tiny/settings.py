"""The settings a ``qwen-vl-tiny`` training run is given, and how its checkpoint records them.

``TrainSettings`` holds every setting; ``recipe`` the ones that decide the weights, which an export
records in ``config.json`` (``evalkit_training``, by ``provenance``) and a saved state in ``state.json``.
``check_resumed_settings`` refuses to resume a state under another recipe than its own.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import ConfigError
from evalkit.tiny.architecture import TinyArchitecture
from evalkit.tiny.auxiliary import OPTION_LOOKUPS, AuxiliaryQuestions
from evalkit.tiny.batches import Curriculum

DEFAULT_MIX = {
    "synth_mme": 0.20, "synth_vqa": 0.15, "synth_seed": 0.20, "synth_refcoco": 0.15, "synth_ocrvqa": 0.15,
    "synth_caption": 0.10, "synth_dialogue": 0.05,
}  # fmt: skip


# "questions": each packed question's mean answer loss counts alike, so a task's part of the objective
# is its part of the questions (an image of VQA asks ~18, one of OCR-VQA 2); "images": each image
# counts alike, its questions sharing its part, so a task's part is its part of the images (the mix)
BALANCES = ("questions", "images")


@dataclass(frozen=True)
class TrainSettings:
    work_dir: Path
    steps: int = 4500
    batch_size: int = 24  # images per step, each with all its questions
    # packed rows (images) of similar length computed together; smaller micro-batches pad less
    # (bench/tiny_train_speed.py), the gradient is the same sum either way
    micro_batch: int = 8
    auxiliary: bool = True  # ask every question an image's scene answers, not only the benchmark's
    dense_weight: float = 0.5  # weight of the image tokens' dense targets (dense.py); 0 leaves them out
    dense_places: bool = True  # shape cells also name their place on the 3x3 grid (dense.DenseWords)
    dense_glyph_words: bool = True  # glyph cells also name their word
    option_lookups: int = OPTION_LOOKUPS  # per choice image: "Which option says X?" rows (auxiliary.py)
    # weight of the option checks: at each choice option's last token, is it the right one (sequences.py)
    option_check_weight: float = 0.0
    # choice images also ask each shape's quadrant and the scene's description (auxiliary.choice_facts)
    seed_locations_and_scenes: bool = False
    # count questions thinned so that their answers are spread about evenly (auxiliary.COUNTS_KEPT)
    balanced_counts: bool = False
    # short-answer images also ask each shape's quadrant and each clear pair's relation (auxiliary.vqa_rows)
    vqa_places: bool = False
    # at most this many questions an image (drawn at random from all it asks; 0: all), so that a step's
    # tokens spread over more images (batches.BatchStream)
    questions_per_image: int = 0
    # early steps draw single-shape scenes for these tasks, less and less often until this fraction of
    # the run (batches.Curriculum)
    curriculum_tasks: tuple[str, ...] = Curriculum().tasks
    curriculum_until: float = Curriculum().until_fraction
    lr: float = 5e-4
    warmup: int = 100
    # the step the warmup and the cosine start from: 0, or for a continuation (``--init-from``) that
    # should warm up afresh, the step of the checkpoint it starts from
    schedule_start: int = 0
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.05
    seed: int = 0
    bf16: bool = False  # bf16 autocast (fast only with native bf16 instructions)
    threads: int = 2
    save_minutes: float = 5.0
    vocab_examples: int = 200  # train examples per task that the BPE merges are learned from
    vocab_merges: int = 1000
    # learn the merges from answers spaced as training appends them (a ChatML ``Yes`` is then one
    # token); False, the recipe of earlier models, learns every answer with a space before it
    vocab_as_appended: bool = True
    mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    # how a step's answers share the objective (``BALANCES``): every question alike, or every image
    # alike, its questions sharing its part
    balance: str = "questions"
    architecture: TinyArchitecture = field(default_factory=TinyArchitecture)

    def auxiliary_questions(self) -> AuxiliaryQuestions | None:
        """What training asks of each image besides the benchmark's rows (None: nothing)."""
        return auxiliary_questions_of(asdict(self))


# what a state saved before these settings existed was trained with
SETTINGS_BEFORE_THEY_EXISTED = {"dense_places": False, "dense_glyph_words": False, "vocab_as_appended": False,
                                "seed_locations_and_scenes": False, "balanced_counts": False, "vqa_places": False,
                                "schedule_start": 0, "questions_per_image": 0}


def auxiliary_questions_of(settings: dict[str, Any]) -> AuxiliaryQuestions | None:
    """The auxiliary questions of ``settings`` as a run or its checkpoint's record (``recipe``) gives
    them; a setting the record lacks counts at the value runs had before it existed."""
    known = {"auxiliary": True, "option_lookups": OPTION_LOOKUPS, **SETTINGS_BEFORE_THEY_EXISTED, **settings}
    if not known["auxiliary"]:
        return None
    return AuxiliaryQuestions(option_lookups=known["option_lookups"],
                              locations_and_scenes=known["seed_locations_and_scenes"],
                              balanced_counts=known["balanced_counts"], vqa_places=known["vqa_places"])


def check_resumed_settings(saved: dict[str, Any], settings: TrainSettings) -> None:
    """Fail unless ``settings`` are the recipe the resumed state was trained with.

    The exported checkpoint records one recipe for the whole run, so a resume under other settings
    would record a run that never happened. Only ``steps`` may grow (the documented way to lengthen a
    run). A setting newer than the state counts at the value runs had before it existed.
    """
    now = recipe(settings)
    before = {**recipe(TrainSettings(work_dir=settings.work_dir)), **SETTINGS_BEFORE_THEY_EXISTED}
    changed = [f"{key}: {saved.get(key, before[key])!r} in the state, {value!r} now"
               for key, value in now.items() if key != "steps" and saved.get(key, before[key]) != value]
    if changed:
        raise ConfigError(
            f"--resume: the state in {settings.work_dir} was trained with other settings ({'; '.join(changed)}); "
            f"resume with the options the run started with (the first line of its train.log lists them), "
            f"or start a new --work-dir"
        )


def provenance(settings: TrainSettings, step: int, lineage: dict[str, Any] | None = None) -> dict[str, object]:
    """What ``config.json`` records of the run (``evalkit_training``). A run started ``--init-from`` an
    export records that export's own record as ``initialized_from``: the steps up to there were trained
    with the settings recorded there, not with this run's."""
    record: dict[str, object] = {"steps_done": step, "command": "python -m evalkit.tiny.train",
                                 "settings": recipe(settings)}
    if lineage is not None:
        record["initialized_from"] = lineage
    return record


# how fast or where a run goes: the weights do not depend on these (beyond the order of float sums)
NOT_RECIPE = ("work_dir", "threads", "save_minutes", "micro_batch")


def recipe(settings: TrainSettings) -> dict[str, Any]:
    """The settings that decide the weights, as JSON gives them back (how fast or where a run goes is left out)."""
    recipe = {k: v for k, v in jsonable(settings).items() if k not in NOT_RECIPE}
    return json.loads(json.dumps(recipe))


def jsonable(settings: TrainSettings) -> dict[str, object]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(settings).items()}
