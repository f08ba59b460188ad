"""Scorer speed against the official implementations, on the same synthetic input.

1. VQA accuracy: ``evalkit.metrics.vqa_accuracy`` over N synthetic questions (10 answers each)
   against ``VQAEval.evaluate()`` of the official VQA evaluation code. Printed: both means (they
   must be identical: every per-question value is compared bit for bit), both times, the ratio.
2. Captions: ``evalkit.metrics.caption_scores`` against pycocoevalcap called the way lmms-eval's
   caption tasks call it (for each metric: COCO objects, PTB tokenisation of references and
   predictions, then that metric's scorer). Printed: every metric from both (identical within
   1e-9, METEOR 1e-6), both times, the ratio.

The official VQA code is not part of evalkit: pass the path of a checkout of it, either
QwenLM/Qwen-VL (its Python 3 copy, ``eval_mm/vqa_eval.py``) or a folder holding ``vqa_eval.py``.

    python bench/metrics_speed.py PATH_TO_CHECKOUT [--questions 200000] [--images 5000] [--skip-captions]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import random
import sys
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evalkit import metrics  # noqa: E402
from evalkit.metrics import vqa as vqa_module  # noqa: E402

# Answer material that exercises every normalisation step.
ANSWERS = [
    "yes", "no", "Yes", "no.", "2", "two", "3", "three", "10", "none", "zero", "red", "blue", "dog", "a dog",
    "the dog", "cat", "dont know", "isnt", "1,000", "10-15", "left/right", "3.5", "3.", "t-shirt", "it's",
    "man's", "(left)", "black and white", "an apple", "wooden", "tennis", "skateboarding", "frisbee",
    "unanswerable", "1:30", "50%", "$5", "yes!", "no?", "on the table", "2 people", "kitchen", "many",
]  # fmt: skip
PREDICTION_NOISE = ["", " ", ".", "!", "\n", " the", "a ", "A ", "?"]


def load_official_vqa_eval(path: Path) -> ModuleType:
    """``vqa_eval.py`` from a checkout of the official code (Python 3 copy)."""
    candidates = [path / "eval_mm" / "vqa_eval.py", path / "vqa_eval.py", path]
    for candidate in candidates:
        if candidate.is_file():
            spec = importlib.util.spec_from_file_location("official_vqa_eval", candidate)
            if spec is None or spec.loader is None:
                break
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    python2 = path / "PythonEvaluationTools" / "vqaEvaluation" / "vqaEval.py"
    hint = (
        f" ({python2} is the Python 2 original; use the Python 3 copy in QwenLM/Qwen-VL eval_mm/vqa_eval.py)"
        if python2.exists()
        else ""
    )
    raise SystemExit(f"no vqa_eval.py under {path}{hint}")


def synthetic_questions(n: int, seed: int) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    questions = []
    for _ in range(n):
        common = rng.choice(ANSWERS)
        answers = [common if rng.random() < 0.6 else rng.choice(ANSWERS) for _ in range(10)]
        base = common if rng.random() < 0.6 else rng.choice(ANSWERS)
        prediction = rng.choice(PREDICTION_NOISE) + base + rng.choice(PREDICTION_NOISE)
        questions.append((prediction, answers))
    return questions


def official_vqa(module: ModuleType, questions: list[tuple[str, list[str]]]) -> tuple[list[float], float]:
    """Per-question accuracies from ``VQAEval.evaluate()`` and its run time.

    The annotation objects are built in memory the way ``VQA``/``loadRes`` build them (each answer
    with its own ``answer_id``). ``setAccuracy`` receives the unrounded per-question list, which is
    kept to compare exactly.
    """
    qa = {
        qid: {
            "question_id": qid, "question_type": "what", "answer_type": "other",
            "answers": [{"answer": a, "answer_confidence": "yes", "answer_id": k + 1} for k, a in enumerate(answers)],
        }
        for qid, (_, answers) in enumerate(questions)
    }  # fmt: skip
    gt = SimpleNamespace(qa=qa, getQuesIds=lambda: list(qa))
    res = SimpleNamespace(qa={qid: {"question_id": qid, "answer": p} for qid, (p, _) in enumerate(questions)})
    evaluator = module.VQAEval(gt, res, n=2)
    captured: dict[str, list[float]] = {}
    original = evaluator.setAccuracy

    def keep(acc_qa: list[float], *rest: Any) -> None:
        captured["acc"] = list(acc_qa)
        original(acc_qa, *rest)

    evaluator.setAccuracy = keep
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()
    return captured["acc"], time.perf_counter() - start


def ours_vqa(questions: list[tuple[str, list[str]]]) -> tuple[list[float], float]:
    for cached in (
        vqa_module.vqa_process_punctuation, vqa_module.vqa_normalize_prediction, vqa_module._leave_one_out_mean
    ):
        cached.cache_clear()  # start cold, as a fresh process would
    start = time.perf_counter()
    scores = [metrics.vqa_accuracy(p, a) for p, a in questions]
    return scores, time.perf_counter() - start


def bench_vqa(module: ModuleType, n: int, seed: int) -> None:
    questions = synthetic_questions(n, seed)
    official, official_s = official_vqa(module, questions)
    ours, ours_s = ours_vqa(questions)
    mismatched = sum(a != b for a, b in zip(official, ours))
    official_mean, our_mean = sum(official) / len(official), sum(ours) / len(ours)
    print(f"VQA accuracy, {n} questions x 10 answers")
    print(f"  official mean {official_mean!r}   evalkit mean {our_mean!r}   identical: {official_mean == our_mean}")
    print(f"  per-question values differing: {mismatched}")
    print(f"  official {official_s:.2f} s   evalkit {ours_s:.2f} s   speed-up {official_s / ours_s:.1f}x")


SUBJECTS = ["dog", "cat", "man", "woman", "child", "boy", "girl", "horse", "bird", "player", "couple", "chef"]
ADJECTIVES = ["small", "large", "young", "old", "brown", "white", "black", "happy", "wet", "tall"]
VERBS = ["is running", "sits", "is standing", "walks", "is playing", "jumps", "rests", "is eating", "looks"]
PLACES = ["on the grass", "in a park", "near the water", "on a street", "in the kitchen", "at the beach",
          "under a tree", "on a bench", "in the snow", "next to a car"]  # fmt: skip


def synthetic_corpus(n_images: int, seed: int) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Captions shaped like real ones: determiner, adjective, subject, verb, place."""
    rng = random.Random(seed)

    def sentence() -> str:
        words = f"{rng.choice(['A', 'The', 'One'])} {rng.choice(ADJECTIVES)} {rng.choice(SUBJECTS)} {rng.choice(VERBS)}"
        return f"{words} {rng.choice(PLACES)}{rng.choice(['.', '', ' .', '!'])}"

    references = {i: [sentence() for _ in range(5)] for i in range(n_images)}
    predictions = {i: (references[i][0] if rng.random() < 0.2 else sentence()) for i in range(n_images)}
    return predictions, references


def lmms_eval_style(predictions: dict[int, str], references: dict[int, list[str]]) -> dict[str, float]:
    """pycocoevalcap driven as lmms-eval's caption aggregation drives it: one call per metric, each
    building every scorer (so each starts a METEOR JVM), a fresh COCO index and ``loadRes``, PTB
    tokenisation of references and predictions, then that metric's scorer."""
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.eval import COCOEvalCap
    from pycocoevalcap.meteor.meteor import Meteor
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
    from pycocotools.coco import COCO

    annotations = [
        {"image_id": i, "caption": c, "id": k}
        for k, (i, c) in enumerate((i, c) for i, refs in references.items() for c in refs)
    ]
    dataset = {"annotations": annotations, "images": [{"id": i} for i in references]}
    results = [{"image_id": i, "caption": p} for i, p in predictions.items()]
    out: dict[str, float] = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for name in ("Bleu_4", "Bleu_3", "Bleu_2", "Bleu_1", "METEOR", "ROUGE_L", "CIDEr"):
            scorers: dict[str, tuple[Any, int | None]] = {
                "Bleu_1": (Bleu(4), 0), "Bleu_2": (Bleu(4), 1), "Bleu_3": (Bleu(4), 2), "Bleu_4": (Bleu(4), 3),
                "METEOR": (Meteor(), None), "ROUGE_L": (Rouge(), None), "CIDEr": (Cider(), None),
            }  # fmt: skip
            scorer, index = scorers[name]
            coco = COCO()
            coco.dataset = dataset
            coco.createIndex()
            coco_result = coco.loadRes(results)
            coco_eval = COCOEvalCap(coco, coco_result)
            gts = {i: coco_eval.coco.imgToAnns[i] for i in coco_eval.params["image_id"]}
            res = {i: coco_eval.cocoRes.imgToAnns[i] for i in coco_eval.params["image_id"]}
            tokenizer = PTBTokenizer()
            gts, res = tokenizer.tokenize(gts), tokenizer.tokenize(res)
            score, _ = scorer.compute_score(gts, res)
            out[name] = float(score[index] if index is not None else score) * 100
    return out


def bench_captions(n_images: int, seed: int) -> None:
    predictions, references = synthetic_corpus(n_images, seed)
    start = time.perf_counter()
    theirs = lmms_eval_style(predictions, references)
    theirs_s = time.perf_counter() - start
    start = time.perf_counter()
    ours = metrics.caption_scores(predictions, references)
    ours_s = time.perf_counter() - start
    print(f"Caption metrics, {n_images} images x 5 references")
    for name in ("Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "METEOR", "ROUGE_L", "CIDEr"):
        tolerance = 1e-4 if name == "METEOR" else 1e-7  # x100 of 1e-6 and 1e-9
        same = abs(ours[name] - theirs[name]) <= tolerance
        print(f"  {name:8s} lmms-eval style {theirs[name]:.10f}   evalkit {ours[name]:.10f}   identical: {same}")
    print(f"  SPICE: {ours['unavailable'].get('SPICE', 'scored')}")
    print(f"  lmms-eval style {theirs_s:.2f} s   evalkit {ours_s:.2f} s   speed-up {theirs_s / ours_s:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("official", type=Path, help="checkout of the official VQA evaluation code (Python 3)")
    parser.add_argument("--questions", type=int, default=200_000)
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-captions", action="store_true")
    args = parser.parse_args()
    bench_vqa(load_official_vqa_eval(args.official), args.questions, args.seed)
    if not args.skip_captions:
        bench_captions(args.images, args.seed)


if __name__ == "__main__":
    main()
