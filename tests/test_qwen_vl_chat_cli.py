"""``evalkit chat`` on the tiny checkpoint: prompt form per checkpoint, stdout holds only the answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.models.qwen_vl import QwenVL
from tests.qwen_vl.tiny_checkpoint import GOLDEN_DIR, tiny_checkpoint, tiny_model

IMAGE = str(GOLDEN_DIR / "img_b.png")
SYSTEM = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The exact prompt text of every request ``QwenVL.generate`` receives."""
    texts: list[str] = []
    original = QwenVL.generate

    def spy(self, requests):  # type: ignore[no-untyped-def]
        texts.extend(self.render(r.prompt).text for r in requests)
        return original(self, requests)

    monkeypatch.setattr(QwenVL, "generate", spy)
    return texts


def _expected_answer(prompt_text: str, max_new_tokens: int) -> str:
    model = tiny_model()
    ids = model.tokenizer.encode(prompt_text)
    from evalkit.models.qwen_vl.generation import GreedySettings, greedy_generate

    features = model.image_features([model.render(_image_prompt())])
    settings = GreedySettings(max_new_tokens, 0, model.stop_ids, 151643)
    [out] = greedy_generate(model.network, [ids], features, settings)
    return model.decode_answer(out.ids)


def _image_prompt():  # type: ignore[no-untyped-def]
    from evalkit.data.images import LazyImage
    from evalkit.prompts.types import ImagePart, Prompt

    return Prompt.raw(ImagePart(LazyImage(IMAGE, Path(IMAGE).read_bytes())))


def test_chat_checkpoint_gets_chatml_with_the_mme_user_turn(capsys, seen) -> None:  # type: ignore[no-untyped-def]
    code = main(["chat", "--model", str(tiny_checkpoint("chatml")), "--image", IMAGE, "--max-new-tokens", "5",
                 "--model-args", "device=cpu", "What is it?"])
    out = capsys.readouterr().out
    expected_prompt = f"{SYSTEM}<|im_start|>user\n<img>{IMAGE}</img>\nWhat is it?<|im_end|>\n<|im_start|>assistant\n"
    assert code == 0
    assert seen == [expected_prompt]
    assert out == _expected_answer(expected_prompt, 5) + "\n"
    assert len(tiny_model().tokenizer.encode(out.strip())) == 5  # all five tokens, none dropped


def test_raw_flag_gives_the_eval_script_form(capsys, seen) -> None:  # type: ignore[no-untyped-def]
    assert main(["chat", "--model", str(tiny_checkpoint("chatml")), "--image", IMAGE, "--raw",
                 "--max-new-tokens", "4", "Describe the image in English:"]) == 0
    expected_prompt = f"<img>{IMAGE}</img>Describe the image in English:"
    assert seen == [expected_prompt]
    assert capsys.readouterr().out == _expected_answer(expected_prompt, 4) + "\n"


def test_base_checkpoint_is_prompted_raw(tmp_path: Path, capsys, seen) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path / "base"
    base.mkdir()
    for item in tiny_checkpoint("chatml").iterdir():
        if item.name != "generation_config.json":
            (base / item.name).symlink_to(item)
    assert main(["chat", "--model", str(base), "--image", IMAGE, "--max-new-tokens", "3", "Q:"]) == 0
    assert seen == [f"<img>{IMAGE}</img>Q:"]
    assert capsys.readouterr().out.strip() != ""


def test_missing_image_is_one_line_on_stderr(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["chat", "--model", str(tiny_checkpoint("chatml")), "--image", "no/such.png", "q"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip() == (
        "evalkit: error: image no/such.png does not exist; pass --image with the path of an image file"
    )
