"""lmms-eval's aggregated result file (``<date>_results.json``, formerly ``results.json``).

The shape read (lmms-eval ``evaluator.py`` / ``loggers/evaluation_tracker.py``)::

    {"results": {"<task>": {"alias": "...", "<metric>,<filter>": 0.61, "<metric>_stderr,<filter>": 0.007 | "N/A"}},
     "configs": {"<task>": {"metric_list": [{"metric": "..."}], ...}},
     "n-shot": {"<task>": 0}, "n-samples": {"<task>": {"original": N, "effective": N}},
     "config": {"model": "qwen_vl", "model_args": "pretrained=Qwen/Qwen-VL-Chat,..."},
     "model_name": "Qwen/Qwen-VL-Chat", "date": "..."}

The benchmarks evalkit also runs are renamed to evalkit's task and metric names and put on its scale
(lmms-eval reports accuracies as fractions and CIDEr unscaled: both ×100; MME totals as they are),
so they fall into the same table columns; the 95% CI is ``value ± 1.96 × stderr``. Any other task
keeps lmms-eval's names and numbers as reported.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.errors import DataError
from evalkit.report.importers.run_folder import ImportedTask, write_imported_run
from evalkit.scoring.types import MetricValue

SOURCE = "lmms-eval"
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Target:
    task: str
    metric: str
    scale: float


def _captions(theirs: str, prefix: str, ours: str) -> dict[tuple[str, str], Target]:
    names = ("CIDEr", "Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L")
    return {(theirs, f"{prefix}_{name},none"): Target(ours, name, 100.0) for name in names}


# (lmms-eval task, "metric,filter") -> evalkit task, metric, factor onto evalkit's scale. Checked
# against the task YAMLs and utils.py of lmms-eval's mme, seedbench, textvqa, docvqa, chartqa, ai2d,
# scienceqa, ok_vqa, vqav2, vizwiz_vqa, gqa, nocaps, flickr30k and coco_cap tasks.
MAPPING: dict[tuple[str, str], Target] = {
    ("mme", "mme_perception_score,none"): Target("mme", "perception", 1.0),
    ("mme", "mme_percetion_score,none"): Target("mme", "perception", 1.0),  # its spelling until 2025
    ("mme", "mme_cognition_score,none"): Target("mme", "cognition", 1.0),
    ("seedbench", "seed_all,none"): Target("seedbench", "accuracy", 100.0),
    ("seedbench", "seed_image,none"): Target("seedbench_image", "accuracy", 100.0),
    ("seedbench", "seed_video,none"): Target("seedbench_video", "accuracy", 100.0),
    ("textvqa_val", "exact_match,none"): Target("textvqa_val", "vqa_accuracy", 100.0),
    ("docvqa_val", "anls,none"): Target("docvqa_val", "anls", 100.0),
    ("chartqa", "relaxed_overall,none"): Target("chartqa_test", "relaxed_accuracy", 100.0),
    ("chartqa", "relaxed_human_split,none"): Target("chartqa_test_human", "relaxed_accuracy", 100.0),
    ("chartqa", "relaxed_augmented_split,none"): Target("chartqa_test_augmented", "relaxed_accuracy", 100.0),
    ("ai2d", "exact_match,flexible-extract"): Target("ai2d_test", "accuracy", 100.0),
    ("scienceqa_img", "exact_match,none"): Target("scienceqa_img", "accuracy", 100.0),
    ("ok_vqa_val2014", "exact_match,none"): Target("okvqa_val", "vqa_accuracy", 100.0),
    ("vqav2_val", "exact_match,none"): Target("vqav2_val", "vqa_accuracy", 100.0),
    ("vizwiz_vqa_val", "exact_match,none"): Target("vizwiz_val", "vqa_accuracy", 100.0),
    ("gqa", "exact_match,none"): Target("gqa_testdev", "exact_match", 100.0),
    **_captions("nocaps_val", "nocaps", "nocaps_val"),
    **_captions("flickr30k_test", "flickr", "flickr30k_test"),
    **_captions("coco_karpathy_test", "coco", "coco_caption_karpathy"),
}
_PRIMARY = {"mme": "perception", "nocaps_val": "CIDEr", "flickr30k_test": "CIDEr", "coco_caption_karpathy": "CIDEr"}
_MODEL_KEYS = ("pretrained=", "model=", "model_version=", "model_name=", "model_id=", "path=", "engine=")


def model_name(data: Mapping[str, Any]) -> str | None:
    """The model lmms-eval evaluated: its ``model_name``, else the checkpoint named in ``model_args``."""
    if data.get("model_name"):
        return str(data["model_name"])
    config = data.get("config") or {}
    args = config.get("model_args")
    if isinstance(args, Mapping):
        for key in _MODEL_KEYS:
            if args.get(key.rstrip("=")):
                return str(args[key.rstrip("=")])
    elif isinstance(args, str):
        for part in args.split(","):
            for key in _MODEL_KEYS:
                if part.strip().startswith(key) and part.strip()[len(key):]:
                    return part.strip()[len(key):]
    return str(config["model"]) if config.get("model") else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _split_key(key: str) -> tuple[str, str]:
    metric, _, filter_name = key.partition(",")
    return metric, filter_name or "none"


def read_tasks(data: Mapping[str, Any], where: str) -> tuple[list[ImportedTask], list[str]]:
    """The imported tasks and warnings about numbers left out."""
    results = data.get("results")
    if not isinstance(results, Mapping) or not results:
        raise DataError(f"{where}: no 'results' mapping; pass lmms-eval's <date>_results.json (not a samples file)")
    shots, counts, configs = data.get("n-shot") or {}, data.get("n-samples") or {}, data.get("configs") or {}
    built: dict[str, dict[str, Any]] = {}
    warnings = []
    for their_task, entry in results.items():
        if not isinstance(entry, Mapping):
            continue
        mapped_task = any(task == their_task for task, _ in MAPPING)
        for key, raw in entry.items():
            metric, filter_name = _split_key(key)
            value = _number(raw)
            if key == "alias" or "_stderr" in metric or value is None:
                continue
            target = MAPPING.get((their_task, key))
            if target is None and mapped_task:
                warnings.append(f"{their_task} {key}: no evalkit counterpart; left out")
                continue
            if target is None:
                name = metric if filter_name == "none" else key
                target = Target(their_task, name, 1.0)
            stderr = _number(entry.get(f"{metric}_stderr,{filter_name}"))
            ci = None if stderr is None else (
                (value - _Z95 * stderr) * target.scale, (value + _Z95 * stderr) * target.scale)
            task = built.setdefault(target.task, {"metrics": {}, "source": their_task})
            task["metrics"][target.metric] = MetricValue(value * target.scale, ci)
    tasks = []
    for name, info in built.items():
        their_task = info["source"]
        metrics: dict[str, MetricValue] = info["metrics"]
        listed = [
            m.get("metric") for m in (configs.get(their_task) or {}).get("metric_list") or [] if isinstance(m, Mapping)
        ]
        primary = next((m for m in (_PRIMARY.get(name), *listed) if m in metrics), next(iter(metrics)))
        count = counts.get(their_task)
        effective = count.get("effective") if isinstance(count, Mapping) else None
        tasks.append(ImportedTask(
            name=name, primary_metric=primary, metrics=metrics,
            num_fewshot=int(shots.get(their_task) or 0), n=effective if isinstance(effective, int) else None,
            source_task=their_task,
        ))
    if not tasks:
        raise DataError(f"{where}: 'results' holds no numeric metric to import")
    return tasks, warnings


def import_file(path: Path, out: Path, *, model: str | None = None) -> tuple[Path, list[str]]:
    """Import one lmms-eval results file into ``out``; returns the run folder and warnings."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, Mapping):
        raise DataError(f"{path}: not an lmms-eval results file (the top level is not a mapping)")
    name = model or model_name(data)
    if not name:
        raise DataError(f"{path}: the file does not name the model; pass --model NAME")
    tasks, warnings = read_tasks(data, str(path))
    config = data.get("config") or {}
    root = write_imported_run(out, source=SOURCE, model=name, tasks=tasks, files=[path],
                              model_args=config.get("model_args"), finished=str(data.get("date") or ""),
                              extra={"git_hash": data.get("git_hash")})
    return root, warnings
