"""Images that are decoded on first use and then kept in memory (never written to disk)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Union

from evalkit.errors import DataError

if TYPE_CHECKING:  # pragma: no cover
    from PIL import Image as PILImage

ImageSource = Union[bytes, "PILImage.Image", Callable[[], Union[bytes, "PILImage.Image"]]]


class ImageDecodeError(DataError):
    """An image's bytes could not be decoded; the runner counts the sample as failed."""


class LazyImage:
    """One image of a sample, identified by a stable ``key``.

    ``source`` is the encoded bytes, an already decoded PIL image, or a zero-argument callable
    returning either (e.g. reading a file under the data root). Decoding happens once, on the
    first ``load()``; the runner calls it from a background pool so the model never waits.
    """

    __slots__ = ("key", "_source", "_image", "_lock")

    def __init__(self, key: str, source: ImageSource) -> None:
        self.key = key
        self._source = source
        self._image: PILImage.Image | None = None
        self._lock = threading.Lock()

    def load(self) -> "PILImage.Image":
        """The decoded image in RGB mode; raises ``ImageDecodeError`` for corrupt data."""
        with self._lock:
            if self._image is None:
                self._image = _decode(self.key, self._source)
            return self._image

    @property
    def is_loaded(self) -> bool:
        return self._image is not None

    def release(self) -> None:
        """Drop the decoded pixels (the source stays, so ``load()`` works again)."""
        with self._lock:
            self._image = None

    def __repr__(self) -> str:
        return f"LazyImage({self.key!r})"


def _decode(key: str, source: ImageSource) -> "PILImage.Image":
    from PIL import Image, UnidentifiedImageError

    try:
        raw = source() if callable(source) else source
        if isinstance(raw, Image.Image):
            image = raw
        else:
            image = Image.open(io.BytesIO(raw))
            image.load()  # force the full decode now, so truncated files fail here
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as exc:
        raise ImageDecodeError(f"image {key!r} cannot be decoded: {exc}") from exc
    if image.mode != "RGB":
        image = image.convert("RGB")
    return image
