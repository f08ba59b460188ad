"""``synth_caption``: captioned images in the schema of COCO Caption 2017 (``lmms-lab/COCO-Caption2017``).

Five reference captions per image, as COCO has about five: the first always uses one canonical
sentence (shapes listed left to right), the other four are drawn from other phrasings, some with
the shapes in another order, a capital letter or a full stop, the way different annotators write.
Every caption is at least eight words long, so the official Qwen-VL protocol's
``min_new_tokens: 8`` never forces a model past the end of a right answer.
"""

from __future__ import annotations

import random

import pyarrow as pa

from evalkit.synth.example import IMAGE, IMAGE_TYPE, Benchmark, BuildContext, Example
from evalkit.synth.phrases import be, groups, listing
from evalkit.synth.scene import BACKGROUNDS, COLORS, SHAPES, Scene, place_shapes

SIZE = 64
REFERENCES = 5
CAPTION_PROMPT = "Please carefully observe the image and come up with a caption for the image."
CANONICAL = "a picture of {list} on a {bg} background"
PHRASINGS = (
    "{list} drawn on a {bg} background",
    "an image showing {list} on a plain {bg} background",
    "there {be} {list} in front of a {bg} background",
    "a simple drawing of {list} on {bg}",
    "a {bg} background with {list} on it",
    "a picture with {list} on a {bg} background",
)
SCHEMA = pa.schema([
    ("question_id", pa.string()), ("image", IMAGE_TYPE), ("question", pa.string()),
    ("answer", pa.list_(pa.string())), ("id", pa.int64()), ("license", pa.int8()), ("file_name", pa.string()),
    ("coco_url", pa.string()), ("height", pa.int32()), ("width", pa.int32()), ("date_captured", pa.string()),
])  # fmt: skip


def canonical_caption(scene: Scene) -> str:
    found = groups(scene.shapes)
    return CANONICAL.format(list=listing(found), bg=scene.background)


def _reference(rng: random.Random, scene: Scene, template: str) -> str:
    found = groups(scene.shapes)
    if rng.random() < 0.4:
        rng.shuffle(found)
    text = template.format(list=listing(found, rng.choice(("a", "a", "one"))), bg=scene.background, be=be(found))
    if rng.random() < 0.3:
        text = text[0].upper() + text[1:]
    if rng.random() < 0.3:
        text += "."
    return text


def build(rng: random.Random, ctx: BuildContext) -> Example | None:
    low, high = ctx.shapes(1, 4)
    total = rng.randint(low, high)
    kinds: list[tuple[str, str]] = []
    while len(kinds) < total:
        kind = (rng.choice(SHAPES), rng.choice(list(COLORS)))
        kinds += [kind] * min(rng.choice((1, 1, 2)), total - len(kinds))
    shapes = place_shapes(rng, SIZE, SIZE, kinds, (11, 17))
    if shapes is None:
        return None
    scene = Scene(SIZE, SIZE, rng.choice(list(BACKGROUNDS)), tuple(shapes))
    references = [canonical_caption(scene)]
    references += [_reference(rng, scene, t) for t in rng.sample(PHRASINGS, REFERENCES - 1)]
    file_name = ctx.name("synth_caption") + ".png"
    row = {
        "question_id": file_name,
        "image": IMAGE,
        "question": CAPTION_PROMPT,
        "answer": references,
        "id": ctx.number(1),
        "license": 0,
        "file_name": file_name,
        "coco_url": "",
        "height": SIZE,
        "width": SIZE,
        "date_captured": "",
    }
    return Example(scene, (row,))


BENCHMARK = Benchmark("synth_caption", "COCO Caption 2017 (lmms-lab/COCO-Caption2017, val split)", build, SCHEMA,
                      test_size=300)
