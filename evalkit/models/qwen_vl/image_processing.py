"""Pixels for the Qwen-VL vision tower, from images already in memory.

Reproduces the official ``VisionTransformer.image_transform`` (``visual.py``): a bicubic resize of
the RGB image to a square ``image_size`` (torchvision's ``Resize`` on a PIL image is PIL's own
bicubic resize), scaling to [0, 1], then normalisation with the CLIP mean and std. Nothing is
written to disk and no path is opened: the caller hands over decoded images.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as PILImage

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def preprocess_image(image: "PILImage.Image", image_size: int = 448) -> torch.Tensor:
    """One image as a float32 tensor of shape (3, image_size, image_size)."""
    from PIL import Image

    if image.mode != "RGB":
        image = image.convert("RGB")
    resized = image.resize((image_size, image_size), resample=Image.Resampling.BICUBIC)
    pixels = torch.from_numpy(np.asarray(resized, dtype=np.uint8).copy()).permute(2, 0, 1)
    scaled = pixels.to(torch.float32).div(255)
    mean = torch.tensor(CLIP_MEAN, dtype=torch.float32).view(3, 1, 1)
    std = torch.tensor(CLIP_STD, dtype=torch.float32).view(3, 1, 1)
    return scaled.sub(mean).div(std)


def preprocess_images(images: Sequence["PILImage.Image"], image_size: int = 448) -> torch.Tensor:
    """A batch of shape (n, 3, image_size, image_size); an empty batch has n = 0."""
    if not images:
        return torch.empty(0, 3, image_size, image_size)
    return torch.stack([preprocess_image(image, image_size) for image in images])
