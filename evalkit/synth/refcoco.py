"""``synth_refcoco``: referring expressions in the schema of RefCOCO (``lmms-lab/RefCOCO``).

One row is one referred shape with all its expressions in ``answer`` (a task explodes them into one
sample per expression, as papers count), ``bbox`` its COCO box ``[x, y, width, height]`` in pixels,
``segmentation`` its outline as a flat polygon, ``iscrowd`` 0 and a ``file_name``. As on the hub,
the image size is not a column; it is read from the image. Images are not all square, so a scorer
that mixes up width and height is caught. ``Example.info["referred"]`` is the index of the referred
shape in ``scene.shapes``.
"""

from __future__ import annotations

import random

import pyarrow as pa

from evalkit.synth.example import IMAGE, IMAGE_TYPE, Benchmark, BuildContext, Example
from evalkit.synth.scene import BACKGROUNDS, Scene, Shape, distinct_kinds, place_shapes

CANVASES = ((64, 64), (80, 64), (64, 80))
EXPRESSIONS_PER_ROW = 2
REGION_PROMPT = "Provide a short description for this region."
SCHEMA = pa.schema([
    ("question_id", pa.string()), ("image", IMAGE_TYPE), ("question", pa.string()),
    ("answer", pa.list_(pa.string())), ("segmentation", pa.list_(pa.float32())), ("bbox", pa.list_(pa.float32())),
    ("iscrowd", pa.int8()), ("file_name", pa.string()),
])  # fmt: skip


def expressions(target: Shape, shapes: tuple[Shape, ...], width: int) -> list[str]:
    """Every expression that picks out ``target`` alone among ``shapes``."""
    out = [f"the {target.color} {target.shape}", f"{target.color} {target.shape}"]
    same_shape = [s for s in shapes if s.shape == target.shape]
    if len(same_shape) == 1:
        out.append(f"the {target.shape}")
    if sum(s.color == target.color for s in shapes) == 1:
        out.append(f"the {target.color} one")
    if len(same_shape) == 2:
        other = same_shape[1] if same_shape[0] is target else same_shape[0]
        if abs(target.center[0] - other.center[0]) >= 10:
            side = "left" if target.center[0] < other.center[0] else "right"
            out.append(f"the {target.shape} on the {side}")
    if len(shapes) >= 2:
        xs = sorted(s.center[0] for s in shapes if s is not target)
        if target.center[0] < xs[0] - 10:
            out.append("the leftmost shape")
        elif target.center[0] > xs[-1] + 10:
            out.append("the rightmost shape")
    return out


def build(rng: random.Random, ctx: BuildContext) -> Example | None:
    width, height = rng.choice(CANVASES)
    kinds = distinct_kinds(rng, rng.randint(*ctx.shapes(1, 3)))
    shapes = place_shapes(rng, width, height, kinds, (14, 26))
    if shapes is None:
        return None
    scene = Scene(width, height, rng.choice(list(BACKGROUNDS)), tuple(shapes))
    referred = rng.randrange(len(shapes))
    target = shapes[referred]
    chosen = rng.sample(expressions(target, scene.shapes, width), EXPRESSIONS_PER_ROW)
    row = {
        "question_id": str(ctx.number(1)),
        "image": IMAGE,
        "question": REGION_PROMPT,
        "answer": chosen,
        "segmentation": [float(v) for point in target.outline() for v in point],
        "bbox": target.coco_box(),
        "iscrowd": 0,
        "file_name": ctx.name("synth_refcoco") + ".png",
    }
    return Example(scene, (row,), {"referred": referred})


BENCHMARK = Benchmark("synth_refcoco", "RefCOCO (lmms-lab/RefCOCO, val split)", build, SCHEMA, test_size=150)
