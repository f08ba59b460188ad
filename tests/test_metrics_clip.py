"""CLIPScore through open_clip, with a tiny randomly initialised CLIP saved as a local checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
open_clip = pytest.importorskip("open_clip")

from PIL import Image  # noqa: E402

from evalkit.data.images import LazyImage  # noqa: E402
from evalkit.errors import ModelLoadError  # noqa: E402
from evalkit.metrics import ClipScorer, clip_score  # noqa: E402

TINY = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("clip")
    config = folder / "evalkit-tiny-clip.json"
    config.write_text(json.dumps(TINY))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    model, _, _ = open_clip.create_model_and_transforms("evalkit-tiny-clip", pretrained=None)
    path = folder / "tiny.pt"
    torch.save(model.state_dict(), path)
    return str(path)


def test_clip_score_is_the_clipped_rescaled_cosine(checkpoint: str) -> None:
    scorer = ClipScorer.load("evalkit-tiny-clip", pretrained=checkpoint)
    red = Image.new("RGB", (40, 30), (255, 0, 0))
    blue = LazyImage("blue", Image.new("RGB", (40, 30), (0, 0, 255)))
    captions = ["a red square", "a blue square"]
    result = clip_score([red, blue], captions, scorer=scorer)

    with torch.no_grad():
        pixels = torch.stack([scorer.preprocess(red), scorer.preprocess(blue.load())])
        image = torch.nn.functional.normalize(scorer.model.encode_image(pixels), dim=-1)
        text = torch.nn.functional.normalize(
            scorer.model.encode_text(scorer.tokenizer(["A photo depicts " + c for c in captions])), dim=-1
        )
    expected = (2.5 * torch.clamp((image * text).sum(-1), min=0)).tolist()
    assert result["per_image"] == pytest.approx(expected, abs=1e-6)
    assert result["clip_score"] == pytest.approx(sum(expected) / 2, abs=1e-6)
    assert all(0.0 <= v <= 2.5 for v in result["per_image"])


def test_missing_weights_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="needs CLIP weights"):
        ClipScorer.load("ViT-B-32", pretrained=None)
    with pytest.raises(ModelLoadError, match="could not load CLIP model"):
        ClipScorer.load("ViT-B-32", pretrained=str(tmp_path / "absent.pt"))


def test_one_caption_per_image(checkpoint: str) -> None:
    scorer = ClipScorer.load("evalkit-tiny-clip", pretrained=checkpoint)
    with pytest.raises(ValueError, match="one caption per image"):
        scorer.score([Image.new("RGB", (8, 8))], [])
