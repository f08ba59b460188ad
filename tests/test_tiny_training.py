"""The training script: reproducible from its seed, resumable to the same weights, exported loadable."""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from evalkit.errors import ConfigError
from evalkit.models.qwen_vl import load
from evalkit.synth import generate_examples
from evalkit.tiny.architecture import TinyArchitecture
from evalkit.tiny.batches import Curriculum
from evalkit.tiny.settings import TrainSettings
from evalkit.tiny.train import learning_rate, parse_args, train

TINY_MIX = {"synth_vqa": 1.0, "synth_seed": 1.0, "synth_mme": 1.0}


SMALL = TinyArchitecture(layers=1, mlp_width=64, vision_width=64, vision_layers=1)


def settings(work: Path, steps: int) -> TrainSettings:
    # One thread: with two, CPU kernels sum in a different order when other processes compete for the
    # cores, and the weights are then not bit for bit those of an undisturbed run (see train.py).
    return TrainSettings(work_dir=work, steps=steps, batch_size=3, micro_batch=2, warmup=10, vocab_examples=3,
                         vocab_merges=200, save_minutes=1000.0, mix=dict(TINY_MIX), architecture=SMALL, threads=1)


def weights(work: Path) -> dict[str, torch.Tensor]:
    return load_file(str(work / "model" / "model.safetensors"))


@pytest.fixture(scope="module")
def two_steps(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("train-a")
    train(settings(work, 2))
    return work


def test_same_seed_same_weights_and_resume_continues_exactly(two_steps: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    train(settings(again, 2))
    resumed = tmp_path / "resumed"
    train(settings(resumed, 1))
    train(settings(resumed, 2), resume=True)  # a larger --steps continues the run
    reference = weights(two_steps)
    for other in (weights(again), weights(resumed)):
        assert other.keys() == reference.keys()
        assert all(torch.equal(other[k], reference[k]) for k in reference)
    other_seed = tmp_path / "seed1"
    train(replace(settings(other_seed, 2), seed=1))
    key = "transformer.visual.conv1.weight"
    assert not torch.equal(weights(other_seed)[key], reference[key])


def test_the_micro_batch_changes_the_speed_not_the_weights_nor_the_recorded_recipe(
    two_steps: Path, tmp_path: Path
) -> None:
    reference = weights(two_steps)  # micro-batches of 2 images
    for micro_batch in (1, 3):
        work = tmp_path / f"micro{micro_batch}"
        train(replace(settings(work, 2), micro_batch=micro_batch))
        other = weights(work)
        assert other.keys() == reference.keys()
        for key in reference:  # the same gradient sums, taken in another order
            torch.testing.assert_close(other[key], reference[key], rtol=1e-4, atol=1e-5)
        record = json.loads((work / "model" / "config.json").read_text())["evalkit_training"]["settings"]
        assert "micro_batch" not in record and record["batch_size"] == 3
    assert parse_args(["--work-dir", "x"])[0].micro_batch == 8
    assert parse_args(["--work-dir", "x", "--micro-batch", "24"])[0].micro_batch == 24
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--micro-batch", "0"])


def test_training_changes_the_weights_and_the_export_loads_as_qwen_vl(two_steps: Path, tmp_path: Path) -> None:
    start = tmp_path / "start"
    train(settings(start, 0))
    before, after = weights(start), weights(two_steps)
    assert not torch.equal(before["transformer.visual.conv1.weight"], after["transformer.visual.conv1.weight"])
    assert torch.equal(
        before["transformer.visual.attn_pool.pos_embed"], after["transformer.visual.attn_pool.pos_embed"]
    )
    model = load(str(two_steps / "model"), device="cpu")
    assert model.identity().backend == "qwen-vl"
    assert model.network.config.image_start_id == model.tokenizer.img_start_id
    assert model.defaults.eos_token_id == model.tokenizer.eod_id


def test_a_model_with_fewer_resampler_queries_trains_exports_and_evaluates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.cli import main as evalkit_main

    work = tmp_path / "q16"
    train(replace(settings(work, 1), architecture=replace(SMALL, queries=16)))
    config = json.loads((work / "model" / "config.json").read_text())
    assert config["visual"]["n_queries"] == 16
    assert weights(work)["transformer.visual.attn_pool.query"].shape[0] == 16
    model = load(str(work / "model"), device="cpu")
    assert (model.network.config.visual.n_queries, model.tokenizer.image_span) == (16, 16)
    code = evalkit_main(["run", "--tasks", "synth_mme,synth_seed", "--model", str(work / "model"), "--limit", "4",
                         "--quiet", "--output-dir", str(tmp_path / "results")])
    assert code == 0, capsys.readouterr().err
    (run,) = [p.parent for p in (tmp_path / "results").glob("*/*/run.json")]
    tasks = json.loads((run / "scores.json").read_text())["tasks"]
    assert all(tasks[t]["n"] == 4 and tasks[t]["n_failed"] == 0 for t in ("synth_mme", "synth_seed"))
    # the official schema has no n_queries: a 256-query model's config stays without it
    assert "n_queries" not in SMALL.config_json(model.tokenizer)["visual"]
    assert parse_args(["--work-dir", "x"])[0].architecture.queries == 256
    assert parse_args(["--work-dir", "x", "--queries", "64"])[0].architecture.queries == 64
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--queries", "50"])
    assert "--queries must be a positive square number" in capsys.readouterr().err


def test_a_wider_language_model_trains_and_loads_with_its_sizes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "wide"
    train(replace(settings(work, 1), architecture=replace(SMALL, hidden_size=256, mlp_width=96, queries=16)))
    config = json.loads((work / "model" / "config.json").read_text())
    assert (config["hidden_size"], config["intermediate_size"], config["num_attention_heads"]) == (256, 192, 8)
    assert config["visual"]["output_dim"] == 256
    model = load(str(work / "model"), device="cpu")
    assert model.network.config.hidden_size == 256
    assert model.network.transformer.wte.weight.shape[1] == 256
    wide = parse_args(["--work-dir", "x", "--hidden-size", "256", "--mlp-width", "1024"])[0].architecture
    assert (wide.hidden_size, wide.mlp_width) == (256, 1024)
    assert parse_args(["--work-dir", "x"])[0].architecture.hidden_size == 128
    for bad in ("192", "0"):
        with pytest.raises(SystemExit):
            parse_args(["--work-dir", "x", "--hidden-size", bad])
        assert "--hidden-size must be a positive multiple of 128" in capsys.readouterr().err


def test_an_fp16_export_is_half_the_size_and_loads_in_fp32_as_the_rounded_weights(
    two_steps: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "copy"
    shutil.copytree(two_steps, work)
    half = tmp_path / "half"
    train(settings(work, 2), export=half, resume=True, export_dtype="fp16")  # a finished run, re-exported
    full = two_steps / "model"
    stored = load_file(str(half / "model.safetensors"))
    assert {t.dtype for t in stored.values()} == {torch.float16}
    ratio = (half / "model.safetensors").stat().st_size / (full / "model.safetensors").stat().st_size
    assert 0.45 < ratio < 0.55
    config = json.loads((half / "config.json").read_text())
    assert (config["torch_dtype"], config["fp32"], config["bf16"], config["fp16"]) == ("float16", True, False, False)
    assert json.loads((full / "config.json").read_text())["torch_dtype"] == "float32"
    model = load(str(half), device="cpu")
    reference = weights(two_steps)
    loaded = model.network.state_dict()
    assert {loaded[k].dtype for k in reference} == {torch.float32}
    assert all(torch.equal(loaded[k], reference[k].half().float()) for k in reference)
    assert parse_args(["--work-dir", "x"]).export_dtype == "fp32"
    assert parse_args(["--work-dir", "x", "--export-dtype", "bf16"]).export_dtype == "bf16"
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--export-dtype", "int8"])
    assert "invalid choice: 'int8'" in capsys.readouterr().err


def test_the_mix_decides_which_tasks_training_draws_and_is_recorded(
    two_steps: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
    from evalkit.tiny.train import batch_stream

    work = tmp_path / "reading"
    run = replace(settings(work, 1), mix={"synth_ocrvqa": 1.0}, curriculum_tasks=())
    train(run)
    tokenizer = QwenTokenizer.from_file(work / "qwen.tiktoken", image_span=run.architecture.queries)
    drawn = {task for batch in batch_stream(run, tokenizer).packed(0, 2) for task in batch.tasks}
    assert drawn == {"synth_ocrvqa"}
    # the vocabulary is learned from every synthetic task whatever the mix, so that mixes can continue each other
    assert (work / "qwen.tiktoken").read_bytes() == (two_steps / "qwen.tiktoken").read_bytes()
    config = json.loads((work / "model" / "config.json").read_text())
    assert config["evalkit_training"]["settings"]["mix"] == {"synth_ocrvqa": 1.0}
    parsed = parse_args(["--work-dir", "x", "--mix", "synth_mme=2, synth_seed=0.5", "--curriculum-tasks", "synth_mme"])
    assert parsed.settings.mix == {"synth_mme": 2.0, "synth_seed": 0.5}
    assert parse_args(["--work-dir", "x"]).settings.mix == TrainSettings(work_dir=Path(".")).mix
    for bad, message in (("synth_mme", "is not TASK=WEIGHT"), ("synth_nope=1", "is not TASK=WEIGHT"),
                         ("synth_mme=x", "is not a number"), ("synth_mme=0", "must be positive"),
                         ("synth_mme=1,synth_mme=2", "given twice")):
        with pytest.raises(SystemExit):
            parse_args(["--work-dir", "x", "--mix", bad, "--curriculum-tasks", ""])
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit):  # the default curriculum's task is not trained: say how to fix it
        parse_args(["--work-dir", "x", "--mix", "synth_mme=1"])
    assert "pass --curriculum-tasks ''" in capsys.readouterr().err


def test_balancing_by_images_changes_training_and_is_recorded(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    by_questions, by_images = tmp_path / "questions", tmp_path / "images"
    train(settings(by_questions, 1))
    train(replace(settings(by_images, 1), balance="images"))
    assert not torch.equal(weights(by_questions)["lm_head.weight"], weights(by_images)["lm_head.weight"])
    config = json.loads((by_images / "model" / "config.json").read_text())
    assert config["evalkit_training"]["settings"]["balance"] == "images"
    assert parse_args(["--work-dir", "x", "--balance", "images"]).settings.balance == "images"
    assert parse_args(["--work-dir", "x"]).settings.balance == "questions"
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--balance", "tasks"])
    assert "invalid choice: 'tasks'" in capsys.readouterr().err


def test_learning_rate_warms_up_then_decays_to_the_floor() -> None:
    s = TrainSettings(work_dir=Path("."), steps=100, lr=1e-3, warmup=10, min_lr_ratio=0.1)
    assert learning_rate(s, 0) == pytest.approx(1e-4)
    assert learning_rate(s, 9) == pytest.approx(1e-3)
    assert learning_rate(s, 100) == pytest.approx(1e-4)
    assert 1e-4 < learning_rate(s, 99) < 1.01e-4
    assert learning_rate(s, 40) > learning_rate(s, 60)


def test_the_vocabulary_learns_answers_spaced_as_training_appends_them_when_asked(tmp_path: Path) -> None:
    from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
    from evalkit.tiny.train import build_vocabulary

    lengths = {}
    for as_appended in (False, True):
        path = tmp_path / f"{as_appended}.tiktoken"
        build_vocabulary(replace(settings(tmp_path, 1), mix={"synth_mme": 1.0}, vocab_examples=20,
                                 vocab_merges=300, vocab_as_appended=as_appended), path)
        tokenizer = QwenTokenizer.from_file(path)
        lengths[as_appended] = (len(tokenizer.encode("Yes")), len(tokenizer.encode(" Yes")))
    # MME's ChatML answer follows "assistant\n" with no space: earlier recipes learned " Yes" instead
    assert lengths[True][0] == 1 and lengths[False][0] > 1
    assert lengths[False][1] == 1


def test_a_cpu_without_native_bf16_gets_a_warning_in_the_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evalkit.tiny import train as training

    for native, bf16, warned in ((False, True, True), (True, True, False), (False, False, False), (None, True, False)):
        monkeypatch.setattr(training, "native_bf16", lambda native=native: native)
        work = tmp_path / f"{native}-{bf16}"
        train(replace(settings(work, 0), bf16=bf16))
        records = [json.loads(line) for line in (work / "train.log").read_text().splitlines()]
        warnings = [r["message"] for r in records if r.get("event") == "warning"]
        assert warnings == ([training.EMULATED_BF16] if warned else [])
    assert "--bf16" in training.EMULATED_BF16


def test_arguments_are_validated() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--steps", "0"])
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--option-lookups", "-1"])
    assert parse_args(["--work-dir", "x"])[0].option_lookups == 3
    bundled = parse_args(["--work-dir", "x"])[0]  # the bundled model's recipe
    assert (bundled.dense_places, bundled.dense_glyph_words, bundled.vocab_as_appended, bundled.bf16) == (
        True, True, True, False)
    explicit = parse_args(["--work-dir", "x", "--dense-places", "--dense-glyph-words", "--vocab-as-appended"])[0]
    assert (explicit.dense_places, explicit.dense_glyph_words, explicit.vocab_as_appended) == (True, True, True)
    older = parse_args(["--work-dir", "x", "--no-dense-places", "--no-dense-glyph-words", "--no-vocab-as-appended"])[0]
    assert (older.dense_places, older.dense_glyph_words, older.vocab_as_appended) == (False, False, False)
    assert parse_args(["--work-dir", "x", "--bf16"])[0].bf16 and not parse_args(["--work-dir", "x", "--fp32"])[0].bf16
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--bf16", "--fp32"])
    assert parse_args(["--work-dir", "x", "--option-lookups", "0"])[0].option_lookups == 0
    assert not bundled.seed_locations_and_scenes
    assert parse_args(["--work-dir", "x", "--seed-locations-and-scenes"])[0].seed_locations_and_scenes
    assert not bundled.balanced_counts and parse_args(["--work-dir", "x", "--balanced-counts"])[0].balanced_counts
    assert bundled.option_check_weight == 0.0
    assert parse_args(["--work-dir", "x", "--option-check-weight", "0.5"])[0].option_check_weight == 0.5
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--option-check-weight", "-1"])


def test_curriculum_arguments_are_parsed_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args(["--work-dir", "x"])[0].curriculum_tasks == ("synth_refcoco",)  # the bundled recipe
    chosen = parse_args(["--work-dir", "x", "--curriculum-tasks", "synth_mme, synth_seed", "--curriculum-until", "0.5"])
    assert (chosen[0].curriculum_tasks, chosen[0].curriculum_until) == (("synth_mme", "synth_seed"), 0.5)
    assert parse_args(["--work-dir", "x", "--curriculum-tasks", ""])[0].curriculum_tasks == ()
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--curriculum-tasks", "synth_mme,mme"])
    assert "mme not among the trained tasks" in capsys.readouterr().err
    for bad in ("0", "1.5", "-0.1"):
        with pytest.raises(SystemExit):
            parse_args(["--work-dir", "x", "--curriculum-until", bad])
        assert "--curriculum-until must be a fraction" in capsys.readouterr().err


def test_the_curriculum_starts_its_tasks_from_single_shapes_and_ends_on_time() -> None:
    tasks = ("synth_mme", "synth_vqa", "synth_seed", "synth_refcoco")
    curriculum = Curriculum(tasks, until_fraction=0.25)
    rng = random.Random(0)
    for task in tasks:
        assert all(curriculum.max_shapes(task, 0, 400, rng) == 1 for _ in range(20))
        assert all(curriculum.max_shapes(task, 100, 400, rng) is None for _ in range(20))  # a quarter of 400
        halfway = [curriculum.max_shapes(task, 50, 400, rng) for _ in range(400)]
        assert 120 < halfway.count(1) < 280  # single shapes half of the time, halfway through
    assert curriculum.max_shapes("synth_ocrvqa", 0, 400, rng) is None  # a task not listed keeps its scenes
    assert all(len(ex.scene.shapes) == 1 for ex in generate_examples("synth_vqa", "train", 30, 0, max_shapes=1))
    for bad in (0.0, -0.5, 1.5):  # a curriculum that lasts no time would divide by zero
        with pytest.raises(ValueError, match=r"in \(0, 1\]"):
            Curriculum(tasks, until_fraction=bad)


def test_a_runs_curriculum_reaches_its_batches_and_is_recorded_in_its_checkpoint(tmp_path: Path) -> None:
    work = tmp_path / "w"
    calls: list[tuple[str, int | None]] = []
    original = Curriculum.max_shapes

    def spy(self: Curriculum, task: str, step: int, total_steps: int, rng: random.Random) -> int | None:
        calls.append((task, original(self, task, step, total_steps, rng)))
        return calls[-1][1]

    run = replace(settings(work, 1), mix={"synth_vqa": 1.0}, curriculum_tasks=("synth_vqa",), curriculum_until=0.5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Curriculum, "max_shapes", spy)
        train(run)
    assert calls and all(cap == 1 for task, cap in calls)  # step 0 of the run: every scene a single shape
    recorded = json.loads((work / "model" / "config.json").read_text())["evalkit_training"]["settings"]
    assert (recorded["curriculum_tasks"], recorded["curriculum_until"]) == (["synth_vqa"], 0.5)


def test_stop_at_ends_early_and_a_resume_finishes_the_same_run(two_steps: Path, tmp_path: Path) -> None:
    work = tmp_path / "stopped"
    train(settings(work, 2), stop_at=1)
    assert '"steps_done": 1' in (work / "model" / "config.json").read_text()
    train(settings(work, 2), resume=True)
    reference = weights(two_steps)
    assert all(torch.equal(weights(work)[k], reference[k]) for k in reference)


def test_a_resume_under_other_settings_fails_before_training(tmp_path: Path) -> None:
    work = tmp_path / "stopped"
    train(settings(work, 2), stop_at=1)
    state_before = (work / "state.json").read_text()
    for changed in (replace(settings(work, 2), dense_places=False), replace(settings(work, 2), lr=1e-3),
                    replace(settings(work, 2), bf16=True), replace(settings(work, 2), balance="images")):
        with pytest.raises(ConfigError, match="resume with the options the run started with"):
            train(changed, resume=True)
    with pytest.raises(ConfigError, match=r"dense_places: True in the state, False now"):
        train(replace(settings(work, 2), dense_places=False), resume=True)
    with pytest.raises(ConfigError, match=r"at step 1, past --steps 0; pass --steps 1 or more"):
        train(replace(settings(work, 2), steps=0), resume=True)
    assert (work / "state.json").read_text() == state_before
    # Where and how fast a run goes is not part of its recipe.
    train(replace(settings(work, 2), threads=2, save_minutes=5.0), resume=True)
    assert '"steps_done": 2' in (work / "model" / "config.json").read_text()


def test_a_state_older_than_a_setting_counts_it_at_the_value_runs_had_before_it(tmp_path: Path) -> None:
    work = tmp_path / "old"
    older = replace(settings(work, 2), dense_places=False)
    train(older, stop_at=1)
    state = json.loads((work / "state.json").read_text())
    del state["settings"]["dense_places"]  # saved before the switch existed, when no run named places
    (work / "state.json").write_text(json.dumps(state))
    with pytest.raises(ConfigError, match=r"dense_places: False in the state, True now"):
        train(settings(work, 2), resume=True)  # today's default
    train(older, resume=True)


def test_init_from_an_export_continues_from_its_weights_and_step(two_steps: Path, tmp_path: Path) -> None:
    work = tmp_path / "continued"
    train(settings(work, 2), init_from=two_steps / "model")
    # Already at step 2 of 2: nothing is trained, the exported weights are the source's.
    reference = weights(two_steps)
    assert all(torch.equal(weights(work)[k], reference[k]) for k in reference)
    train(settings(work, 3), init_from=two_steps / "model")
    record = json.loads((work / "model" / "config.json").read_text())["evalkit_training"]
    assert record["steps_done"] == 3
    assert not torch.equal(weights(work)["lm_head.weight"], reference["lm_head.weight"])
    # The first two steps were the source's: the export says so, with the source's own record.
    source = json.loads((two_steps / "model" / "config.json").read_text())["evalkit_training"]
    assert record["initialized_from"] == source and source["steps_done"] == 2


def test_a_resumed_continuation_keeps_the_record_of_where_it_started(two_steps: Path, tmp_path: Path) -> None:
    work = tmp_path / "continued"
    train(settings(work, 3), init_from=two_steps / "model")
    train(settings(work, 4), resume=True)
    record = json.loads((work / "model" / "config.json").read_text())["evalkit_training"]
    assert record["steps_done"] == 4 and record["initialized_from"]["steps_done"] == 2


def test_learning_rate_can_start_its_schedule_at_a_later_step() -> None:
    s = TrainSettings(work_dir=Path("."), steps=300, lr=1e-3, warmup=10, min_lr_ratio=0.1, schedule_start=200)
    assert learning_rate(s, 200) == pytest.approx(1e-4)  # warms up afresh from the continuation's first step
    assert learning_rate(s, 209) == pytest.approx(1e-3)
    assert learning_rate(s, 300) == pytest.approx(1e-4)
    assert learning_rate(s, 240) > learning_rate(s, 260) > 1e-4
    shifted = [learning_rate(replace(s, steps=100, schedule_start=0), k) for k in range(100)]
    assert [learning_rate(s, 200 + k) for k in range(100)] == pytest.approx(shifted)


def test_schedule_and_layer_arguments_are_parsed_and_checked(capsys: pytest.CaptureFixture[str]) -> None:
    defaults = parse_args(["--work-dir", "x"])[0]
    assert (defaults.schedule_start, defaults.architecture.layers) == (0, 4)  # the bundled model's first run
    chosen = parse_args(["--work-dir", "x", "--steps", "900", "--schedule-start", "800", "--layers", "6"])[0]
    assert (chosen.schedule_start, chosen.architecture) == (800, replace(defaults.architecture, layers=6))
    for bad, message in ((["--layers", "0"], "--layers must be positive"),
                         (["--schedule-start", "4500"], "--schedule-start must be a step in [0, --steps)"),
                         (["--schedule-start", "-1"], "--schedule-start must be a step")):
        with pytest.raises(SystemExit):
            parse_args(["--work-dir", "x", *bad])
        assert message in capsys.readouterr().err


def _logits(folder: Path) -> torch.Tensor:
    """The language model's logits for fixed text, the checkpoint loaded as evaluation loads it."""
    model = load(str(folder), device="cpu")
    network = model.network
    ids = torch.randint(0, len(model.tokenizer) - 10, (2, 12), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        cache = network.new_cache(torch.ones(2, 12, dtype=torch.bool), 12, "per-sample")
        return network.logits(network(ids, cache))


def test_init_from_a_shallower_export_adds_layers_that_change_nothing_until_trained(
        two_steps: Path, tmp_path: Path) -> None:
    deeper = replace(SMALL, layers=SMALL.layers + 2)
    work = tmp_path / "grown"
    train(replace(settings(work, 2), architecture=deeper), init_from=two_steps / "model")  # at step 2 of 2
    grown, source = weights(work), weights(two_steps)
    assert all(torch.equal(grown[k], source[k]) for k in source)
    added = sorted({k.split(".")[2] for k in grown if k.startswith("transformer.h.") and k not in source})
    assert added == ["1", "2"]
    assert all(not grown[f"transformer.h.{i}.{part}.c_proj.weight"].any() for i in added for part in ("attn", "mlp"))
    assert grown["transformer.h.1.attn.c_attn.weight"].std() > 0  # fresh weights, only the outputs zeroed
    assert torch.equal(_logits(work / "model"), _logits(two_steps / "model"))
    recorded = json.loads((work / "model" / "config.json").read_text())
    assert recorded["num_hidden_layers"] == 3 and recorded["evalkit_training"]["initialized_from"]["steps_done"] == 2
    train(replace(settings(work, 3), architecture=deeper), init_from=two_steps / "model")
    trained = weights(work)
    assert trained["transformer.h.2.mlp.c_proj.weight"].any()
    assert not torch.equal(_logits(work / "model"), _logits(two_steps / "model"))


def test_init_from_refuses_a_deeper_or_otherwise_different_export(two_steps: Path, tmp_path: Path) -> None:
    grown = tmp_path / "grown"
    train(replace(settings(grown, 2), architecture=replace(SMALL, layers=2)), init_from=two_steps / "model")
    with pytest.raises(ConfigError, match="has 2 language-model layers, more than the 1 of this network"):
        train(settings(tmp_path / "shallower", 3), init_from=grown / "model")
    with pytest.raises(ConfigError, match=r"other sizes .* \(only --layers may be larger\)"):
        train(replace(settings(tmp_path / "wider", 3), architecture=replace(SMALL, mlp_width=128)),
              init_from=two_steps / "model")
    with pytest.raises(ConfigError, match="--schedule-start 3 is past the step this run starts at \\(2\\)"):
        train(replace(settings(tmp_path / "late", 4), schedule_start=3), init_from=two_steps / "model")


def test_the_resampler_starts_out_looking_at_the_patch_under_each_query() -> None:
    from evalkit.models.qwen_vl.config import QwenVLConfig
    from evalkit.models.qwen_vl.network import QwenVLNetwork
    from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
    from evalkit.models.qwen_vl.vision import resize_position_table
    from evalkit.tiny.bundled import bundled_folder
    from evalkit.tiny.initialization import initialize

    tokenizer = QwenTokenizer.from_file(bundled_folder() / "qwen.tiktoken")
    network = QwenVLNetwork(QwenVLConfig.from_dict(SMALL.config_json(tokenizer)))
    initialize(network, 0)
    pool = network.transformer.visual.attn_pool
    patches = torch.randn(2, 64, SMALL.vision_width, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        kv = pool.ln_kv(pool.kv_proj(patches))
        queries = (pool.ln_q(pool.query) + pool.pos_embed).expand(2, -1, -1)
        _, weights = pool.attn(queries, kv + resize_position_table(pool.pos_embed, 64), kv, need_weights=True)
    query = torch.arange(256)
    own_patch = (query // 16 // 2) * 8 + (query % 16) // 2  # the 16x16 query grid over the 8x8 patches
    assert (weights.argmax(-1) == own_patch).float().mean() > 0.9
    assert weights[:, query, own_patch].mean() > 0.5


def test_questions_per_image_spreads_a_steps_questions_over_its_images_and_is_recorded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from evalkit.models.qwen_vl.tokenizer import QwenTokenizer
    from evalkit.tiny.train import batch_stream

    work = tmp_path / "capped"
    run = replace(settings(work, 1), questions_per_image=2, mix={"synth_vqa": 1.0})
    train(run)
    tokenizer = QwenTokenizer.from_file(work / "qwen.tiktoken", image_span=run.architecture.queries)
    capped = batch_stream(run, tokenizer).packed(0, 8)
    uncapped = batch_stream(replace(run, questions_per_image=0), tokenizer).packed(0, 8)
    per_image = torch.bincount(torch.cat([b.sequence_rows + 8 * i for i, b in enumerate(capped)]))
    assert per_image.max().item() == 2 and sum(b.pixels.shape[0] for b in capped) == run.batch_size
    assert sum(len(b.tasks) for b in uncapped) > sum(len(b.tasks) for b in capped)
    config = json.loads((work / "model" / "config.json").read_text())
    assert config["evalkit_training"]["settings"]["questions_per_image"] == 2
    assert parse_args(["--work-dir", "x", "--questions-per-image", "3"]).settings.questions_per_image == 3
    assert parse_args(["--work-dir", "x"]).settings.questions_per_image == 0
    with pytest.raises(SystemExit):
        parse_args(["--work-dir", "x", "--questions-per-image", "-1"])
    assert "--questions-per-image must be 0 or more" in capsys.readouterr().err
