"""The probe: answer losses per task and subtask on training batches a checkpoint never saw."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
from evalkit.tiny.architecture import TinyArchitecture
from evalkit.tiny.probe import main, probe
from evalkit.tiny.settings import TrainSettings
from evalkit.tiny.train import train

SMALL = TinyArchitecture(layers=1, mlp_width=64, vision_width=64, vision_layers=1)


@pytest.fixture(scope="module")
def untrained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("probe")
    train(TrainSettings(work_dir=work, steps=0, batch_size=2, micro_batch=2, vocab_examples=3, vocab_merges=100,
                        save_minutes=1000.0, mix={"synth_mme": 1.0, "synth_caption": 1.0}, architecture=SMALL))
    return work / "model"


def test_losses_are_reported_per_subtask_of_the_trained_tasks(untrained: Path) -> None:
    rows = probe(str(untrained), batches=2, batch_size=3)
    keys = {row.key for row in rows}
    assert keys <= {"synth_caption"} | {f"synth_mme/{c}" for c in ("existence", "count", "position", "color", "OCR")}
    assert any(key.startswith("synth_mme/") for key in keys)
    assert all(row.sequences >= 1 for row in rows)
    vocabulary = len(QwenTokenizer.from_file(untrained / "qwen.tiktoken"))
    # an untrained model spreads its guesses evenly over the whole vocabulary
    assert all(abs(row.loss - math.log(vocabulary)) < 0.5 for row in rows)
    mme = [row for row in rows if row.key.startswith("synth_mme/")]
    assert all(row.tokens >= 2 for row in mme)  # "Yes" or "No", then the end token
    assert all(abs(row.answer_loss - row.tokens * math.log(vocabulary)) < 0.5 * row.tokens for row in rows)


def test_the_tasks_can_be_chosen_and_the_cli_prints_a_table(untrained: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert {row.key.split("/")[0] for row in probe(str(untrained), ("synth_caption",), batches=1, batch_size=2)} \
        == {"synth_caption"}
    assert main(["--model", str(untrained), "--tasks", "synth_mme", "--batches", "1", "--batch-size", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["task/subtask", "sequences", "tokens/answer", "loss/token", "loss/answer"]
    assert lines[1:] and all(line.startswith("synth_mme/") for line in lines[1:])


def test_bad_arguments_are_refused_with_a_message(untrained: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(untrained), "--tasks", "mme"]) == 2
    assert "not a synth_ task" in capsys.readouterr().err
    assert main(["--model", str(untrained.parent / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--model", str(untrained), "--batches", "0"])


def test_the_linear_readout_finds_a_place_the_features_hold_and_not_one_they_lack() -> None:
    from evalkit.tiny.probe import linear_readout

    torch.manual_seed(0)
    cell = torch.arange(256)
    column = cell % 16
    noise = torch.randn(20, 256, 24)
    holding = noise.clone()
    holding[:, cell, column] += 4.0  # channel k is high at the tokens of column k
    assert linear_readout(holding, column, fit_images=14) > 0.95
    assert linear_readout(noise, column, fit_images=14) < 0.15  # chance is 1/16


def test_the_position_probe_reports_row_column_and_half(untrained: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--model", str(untrained), "--positions", "--batches", "2", "--batch-size", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("  ") == ["image token's place", "checkpoint", "at initialisation", "chance"]
    assert [line.split()[0] for line in lines[1:]] == ["row", "column", "half"]
    assert all(0.0 <= float(value) <= 1.0 for line in lines[1:] for value in line.split()[1:])
    # a run of no steps exports the weights it started from, so both columns read the same features
    assert all(line.split()[1] == line.split()[2] for line in lines[1:])
    assert main(["--model", str(untrained), "--positions", "--batches", "1", "--batch-size", "3"]) == 2
    assert "at least 4" in capsys.readouterr().err


def test_the_initialised_readout_redraws_the_weights_training_started_from(untrained: Path, tmp_path: Path) -> None:
    import shutil

    from safetensors.torch import load_file, save_file

    from evalkit.tiny.probe import position_probe

    changed = tmp_path / "changed"
    shutil.copytree(untrained, changed)
    weights = load_file(str(changed / "model.safetensors"))
    key = next(k for k in weights if k.endswith("visual.positional_embedding"))
    weights[key] = torch.zeros_like(weights[key])  # a checkpoint whose vision tower forgot every place
    save_file(weights, str(changed / "model.safetensors"), metadata={"format": "pt"})
    kwargs = {"batches": 2, "batch_size": 3}
    forgotten, initial = position_probe(str(changed), **kwargs), position_probe(str(untrained), **kwargs)
    assert forgotten["column"] < 0.2 < initial["column"]
    assert position_probe(str(changed), initialised=True, **kwargs) == initial


def test_the_option_check_probe_reads_yes_and_no_at_each_option(untrained: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from evalkit.models.qwen_vl import load
    from evalkit.tiny import probe as probe_module
    from evalkit.tiny.sequences import check_tokens

    rows = probe_module.option_check_probe(str(untrained), batches=1, batch_size=6)
    assert rows and all(r.questions >= 1 and 0 <= r.judged_right <= 1 and 0 <= r.best_is_answer <= 1 for r in rows)
    assert {r.dimension for r in rows} <= {"Scene Understanding", "Instance Identity", "Instance Attributes",
                                           "Instance Location", "Instances Counting", "Spatial Relation",
                                           "Text Understanding"}

    def saying(word: int):  # a model whose LM head says `word` above every other token, wherever it is read
        def patched(model_dir: str, device: str):
            model = load(model_dir, device=device)
            plain = model.network.logits

            def logits(hidden: torch.Tensor) -> torch.Tensor:
                out = plain(hidden)
                out[..., word] = out.max() + 1
                return out
            model.network.logits = logits
            return model
        return patched

    yes, no = check_tokens(QwenTokenizer.from_file(untrained / "qwen.tiktoken"))
    monkeypatch.setattr(probe_module, "load", saying(no))
    always_no = probe_module.option_check_probe(str(untrained), batches=1, batch_size=6)
    monkeypatch.setattr(probe_module, "load", saying(yes))
    always_yes = probe_module.option_check_probe(str(untrained), batches=1, batch_size=6)
    # four options, one right: "no" everywhere judges three in four right, "yes" everywhere one in four
    assert [r.judged_right for r in always_no] == [0.75] * len(always_no)
    assert [r.judged_right for r in always_yes] == [0.25] * len(always_yes)
    assert [r.questions for r in always_no] == [r.questions for r in rows]

    monkeypatch.undo()
    assert main(["--model", str(untrained), "--option-checks", "--batches", "1", "--batch-size", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("  ")[0] == "synth_seed dimension" and len(lines) >= 2
