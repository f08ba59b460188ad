"""CLIPScore (Hessel et al., 2021): reference-free caption quality from a CLIP model, via open_clip."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from evalkit.data.images import LazyImage
from evalkit.errors import ModelLoadError

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as PILImage

ImageLike = Union["PILImage.Image", LazyImage]

# jmhessel/clipscore: captions are prefixed so the text reads like CLIP's training captions,
# and the cosine is rescaled by w = 2.5 and clipped at 0.
CAPTION_PREFIX = "A photo depicts "
WEIGHT = 2.5


@dataclass
class ClipScorer:
    """A loaded open_clip model with its image transform and tokenizer."""

    model: Any
    preprocess: Any
    tokenizer: Any
    device: str = "cpu"

    @classmethod
    def load(cls, model: str = "ViT-B-32", pretrained: str | None = "openai", device: str = "cpu") -> ClipScorer:
        """Load ``model`` with ``pretrained`` weights (an open_clip tag such as ``"openai"``, which
        open_clip downloads once, or the path of a local checkpoint file)."""
        if not pretrained:
            raise ModelLoadError(
                "clip_score needs CLIP weights: pass pretrained='openai' (downloaded once by open_clip) "
                "or the path of a local open_clip checkpoint"
            )
        try:
            import open_clip

            clip_model, _, preprocess = open_clip.create_model_and_transforms(
                model, pretrained=pretrained, device=device
            )
            tokenizer = open_clip.get_tokenizer(model)
        except Exception as exc:  # open_clip raises many kinds; all mean "could not load"
            raise ModelLoadError(
                f"could not load CLIP model {model!r} with weights {pretrained!r}: {exc}. "
                "Check the model name (open_clip.list_models()) and that the weights are cached or the "
                "path exists; offline machines need a local checkpoint path"
            ) from exc
        clip_model.eval()
        return cls(clip_model, preprocess, tokenizer, device)

    def score(self, images: Sequence[ImageLike], captions: Sequence[str], batch_size: int = 64) -> list[float]:
        """Per-image CLIPScore ``2.5 * max(cos(image, "A photo depicts " + caption), 0)``."""
        import torch

        if len(images) != len(captions):
            raise ValueError(
                f"clip_score needs one caption per image, got {len(images)} images and {len(captions)} captions"
            )
        scores: list[float] = []
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                batch_images = [_pil(img) for img in images[start : start + batch_size]]
                batch_captions = [CAPTION_PREFIX + c for c in captions[start : start + batch_size]]
                pixels = torch.stack([self.preprocess(img) for img in batch_images]).to(self.device)
                tokens = self.tokenizer(batch_captions).to(self.device)
                image_features = torch.nn.functional.normalize(self.model.encode_image(pixels).float(), dim=-1)
                text_features = torch.nn.functional.normalize(self.model.encode_text(tokens).float(), dim=-1)
                cosine = (image_features * text_features).sum(dim=-1)
                scores.extend((WEIGHT * torch.clamp(cosine, min=0)).tolist())
        return scores


def _pil(image: ImageLike) -> PILImage.Image:
    return image.load() if isinstance(image, LazyImage) else image.convert("RGB")


def clip_score(
    images: Sequence[ImageLike],
    captions: Sequence[str],
    *,
    model: str = "ViT-B-32",
    pretrained: str | None = "openai",
    device: str = "cpu",
    scorer: ClipScorer | None = None,
) -> dict[str, Any]:
    """CLIPScore of each caption against its image, and their mean: ``{"clip_score", "per_image"}``.

    Reproduces the definition of jmhessel/clipscore (``clipscore.py``): the caption is prefixed
    with ``"A photo depicts "``, image and text embeddings are L2-normalised, and the score is
    ``2.5 * max(cosine, 0)`` (range 0..2.5; the paper's default backbone is ViT-B/32 with OpenAI
    weights). Pass ``scorer`` to reuse a loaded model. Needs CLIP weights: see ``ClipScorer.load``.
    """
    scorer = scorer or ClipScorer.load(model, pretrained, device)
    per_image = scorer.score(images, captions)
    mean = sum(per_image) / len(per_image) if per_image else float("nan")
    return {"clip_score": mean, "per_image": per_image}
