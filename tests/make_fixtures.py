"""Tiny local copies of every catalogued benchmark, in each one's real download layout and schema.

``write_fixtures(root)`` writes, under ``root``, what a user gets from ``huggingface-cli download
<id> --repo-type dataset --local-dir <root>/<name>`` (parquet shards with the hub's column names and
types, images embedded as ``{bytes, path}`` structs, nested answer lists), the TouchStone TSV
(base64 images, one multi-image row as a list literal) and the official Qwen-VL train JSONLs used as
few-shot pools (image paths relative to ``root``). Images are tiny generated PNGs; nothing is
downloaded. A call takes well under a second.

Run as a script to write the fixtures into a folder: ``python -m tests.make_fixtures OUT``.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw

IMAGE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
COLORS = ("red", "green", "blue", "yellow", "white", "black", "orange", "purple")


def png(index: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small PNG that differs per ``index`` (colour and a drawn box), so content hashes differ."""
    image = Image.new("RGB", size, COLORS[index % len(COLORS)])
    ImageDraw.Draw(image).rectangle([index % 9, index % 7, size[0] // 2 + index % 5, size[1] // 2], outline="gray")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def image_cell(index: int, name: str, size: tuple[int, int] = (64, 48)) -> dict[str, Any]:
    return {"bytes": png(index, size), "path": name}


def write_parquet(path: Path, schema: pa.Schema, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), path)


def shard(root: Path, folder: str, split: str) -> Path:
    return root / folder / f"{split}-00000-of-00001.parquet"


# -- captioning ----------------------------------------------------------------------------------------

KARPATHY = pa.schema([("filepath", pa.string()), ("filename", pa.string()), ("sentids", pa.list_(pa.int64())),
                      ("imgid", pa.int64()), ("split", pa.string()), ("sentences", pa.list_(pa.string())),
                      ("cocoid", pa.int64()), ("url", pa.string())])
COCO_CAPTION = pa.schema([("question_id", pa.string()), ("image", IMAGE), ("question", pa.string()),
                          ("answer", pa.list_(pa.string())), ("id", pa.int64()), ("license", pa.int8()),
                          ("file_name", pa.string()), ("coco_url", pa.string()), ("height", pa.int32()),
                          ("width", pa.int32()), ("date_captured", pa.string())])
CAPTIONS = {  # distinct words per image, so CIDEr separates a right caption from a wrong one
    0: ["a red kite flies over the beach", "a red kite above sand", "kite flying at the beach"],
    1: ["two green apples on a wooden table", "green apples on a table", "apples lying on wood"],
    2: ["a blue train stops at the station", "blue train at a platform", "a train waiting at the station"],
    3: ["a yellow cat sleeps on the sofa", "cat asleep on a couch", "a yellow cat on the sofa"],
}


def write_captioning(root: Path) -> None:
    def karpathy(split: str, ids: list[int]) -> list[dict[str, Any]]:
        return [{"filepath": "val2014", "filename": f"COCO_val2014_{i:012d}.jpg", "sentids": [i * 10, i * 10 + 1],
                 "imgid": i, "split": split, "sentences": CAPTIONS[i % 4], "cocoid": 1000 + i,
                 "url": f"http://images.cocodataset.org/val2014/COCO_val2014_{i:012d}.jpg"} for i in ids]

    write_parquet(shard(root, "coco-karpathy/data", "test"), KARPATHY, karpathy("test", [0, 1]))
    write_parquet(shard(root, "coco-karpathy/data", "restval"), KARPATHY, karpathy("restval", [2, 3]))
    coco = [{"question_id": f"COCO_val2014_{i:012d}.jpg", "image": image_cell(i, f"COCO_val2014_{i:012d}.jpg"),
             "question": "Please carefully observe the image and come up with a caption for the image.",
             "answer": CAPTIONS[i % 4], "id": 1000 + i, "license": 3, "file_name": f"COCO_val2014_{i:012d}.jpg",
             "coco_url": "http://images.cocodataset.org/x.jpg", "height": 48, "width": 64,
             "date_captured": "2013-11-14 16:28:13"} for i in (0, 1, 2, 3, 7)]
    write_parquet(shard(root, "COCO-Caption/data", "val"), COCO_CAPTION, coco)

    nocaps = pa.schema([("image", IMAGE), ("image_coco_url", pa.string()), ("image_date_captured", pa.string()),
                        ("image_file_name", pa.string()), ("image_height", pa.int32()), ("image_width", pa.int32()),
                        ("image_id", pa.int32()), ("image_license", pa.int8()), ("image_open_images_id", pa.string()),
                        ("annotations_ids", pa.list_(pa.int32())), ("annotations_captions", pa.list_(pa.string()))])
    write_parquet(shard(root, "NoCaps/data", "validation"), nocaps, [
        {"image": image_cell(i, f"{i}.jpg"), "image_coco_url": "https://s3.amazonaws.com/x.jpg",
         "image_date_captured": "2018-11-06 11:04:33", "image_file_name": f"{i:016x}.jpg", "image_height": 48,
         "image_width": 64, "image_id": i, "image_license": 0, "image_open_images_id": f"{i:016x}",
         "annotations_ids": [i * 10 + k for k in range(3)], "annotations_captions": CAPTIONS[i % 4]} for i in (0, 1)])

    flickr = pa.schema([("image", IMAGE), ("caption", pa.list_(pa.string())), ("sentids", pa.list_(pa.string())),
                        ("split", pa.string()), ("img_id", pa.string()), ("filename", pa.string())])

    def flickr_rows(split: str, ids: list[int]) -> list[dict[str, Any]]:
        return [{"image": image_cell(i, f"{1000092795 + i}.jpg"), "caption": CAPTIONS[i % 4],
                 "sentids": [str(i * 5 + k) for k in range(3)], "split": split, "img_id": str(i),
                 "filename": f"{1000092795 + i}.jpg"} for i in ids]

    write_parquet(shard(root, "flickr30k_train_val_test/data", "test"), flickr, flickr_rows("test", [0, 1, 2]))
    write_parquet(shard(root, "flickr30k_train_val_test/data", "train"), flickr, flickr_rows("train", [3, 4, 5]))


# -- general VQA ---------------------------------------------------------------------------------------


def ten(answer: str) -> list[str]:
    return [answer] * 10


def write_general_vqa(root: Path) -> None:
    vqav2 = pa.schema([("question_type", pa.string()), ("multiple_choice_answer", pa.string()),
                       ("answers", pa.list_(pa.struct([("answer", pa.string()), ("answer_confidence", pa.string()),
                                                        ("answer_id", pa.int64())]))),
                       ("image_id", pa.int64()), ("answer_type", pa.string()), ("question_id", pa.int64()),
                       ("question", pa.string()), ("image", IMAGE)])
    write_parquet(shard(root, "VQAv2/data", "validation"), vqav2, [
        {"question_type": "what color is the", "multiple_choice_answer": "red",
         "answers": [{"answer": "red", "answer_confidence": "yes", "answer_id": k + 1} for k in range(10)],
         "image_id": 262148, "answer_type": "other", "question_id": 262148000,
         "question": "What color is the square?", "image": image_cell(0, "COCO_val2014_000000262148.jpg")},
        {"question_type": "is there a", "multiple_choice_answer": "yes",
         "answers": [{"answer": "yes", "answer_confidence": "yes", "answer_id": k + 1} for k in range(10)],
         "image_id": 262148, "answer_type": "yes/no", "question_id": 262148001,
         "question": "Is there a square?", "image": image_cell(0, "COCO_val2014_000000262148.jpg")},
    ])
    okvqa = pa.schema([("question_id", pa.string()), ("image", IMAGE), ("question", pa.string()),
                       ("answers", pa.list_(pa.string())), ("question_type", pa.string()),
                       ("answer_type", pa.string())])
    write_parquet(shard(root, "OK-VQA/data", "val2014"), okvqa, [
        {"question_id": "2971475", "image": image_cell(1, "COCO_val2014_000000297147.jpg"),
         "question": "What sport can you use this for?", "answers": ten("race"), "question_type": "one",
         "answer_type": "other"},
        {"question_id": "1838185", "image": image_cell(2, "COCO_val2014_000000183818.jpg"),
         "question": "What is the name of the fruit?", "answers": ten("apple"), "question_type": "eight",
         "answer_type": "other"},
    ])
    vizwiz = pa.schema([("question_id", pa.string()), ("image", IMAGE), ("question", pa.string()),
                        ("answers", pa.list_(pa.string())), ("category", pa.string())])
    write_parquet(shard(root, "VizWiz-VQA/data", "val"), vizwiz, [
        {"question_id": "VizWiz_val_00000000", "image": image_cell(3, "VizWiz_val_00000000.jpg"),
         "question": "Ask what color this is?", "answers": ten("yellow"), "category": "other"},
        {"question_id": "VizWiz_val_00000001", "image": image_cell(4, "VizWiz_val_00000001.jpg"),
         "question": "What is this?", "answers": ten("unanswerable"), "category": "unanswerable"},
    ])
    write_gqa(root)
    write_official_train_jsonl(root)


def write_gqa(root: Path) -> None:
    semantic = pa.struct([("operation", pa.string()), ("argument", pa.string()),
                          ("dependencies", pa.list_(pa.int32()))])
    refs = pa.list_(pa.struct([("objectId", pa.string()), ("value", pa.string())]))
    instructions = pa.schema([
        ("id", pa.string()), ("imageId", pa.string()), ("question", pa.string()), ("answer", pa.string()),
        ("fullAnswer", pa.string()), ("isBalanced", pa.bool_()),
        ("groups", pa.struct([("global", pa.string()), ("local", pa.string())])),
        ("entailed", pa.string()), ("equivalent", pa.string()),
        ("types", pa.struct([("detailed", pa.string()), ("semantic", pa.string()), ("structural", pa.string())])),
        ("annotations", pa.struct([("answer", refs), ("fullAnswer", refs), ("question", refs)])),
        ("semantic", pa.list_(semantic)), ("semanticStr", pa.string()),
    ])

    def question(qid: str, image_id: str, text: str, answer: str, structural: str) -> dict[str, Any]:
        return {"id": qid, "imageId": image_id, "question": text, "answer": answer, "fullAnswer": f"It is {answer}.",
                "isBalanced": True, "groups": {"global": None, "local": "10c-color"},
                "entailed": "['20968112']", "equivalent": f"['{qid}']",
                "types": {"detailed": "existC", "semantic": "attr", "structural": structural},
                "annotations": {"answer": [], "fullAnswer": [], "question": [{"objectId": "3", "value": "square"}]},
                "semantic": [{"operation": "select", "argument": "square (3)", "dependencies": []}],
                "semanticStr": "select: square (3)->query: color [0]"}

    write_parquet(root / "GQA/testdev_balanced_instructions/testdev-00000-of-00001.parquet", instructions, [
        question("20968078", "n288870", "Is the square red?", "yes", "verify"),
        question("20968079", "n161313", "What color is the square?", "green", "query"),
    ])
    images = pa.schema([("id", pa.string()), ("image", IMAGE)])
    write_parquet(root / "GQA/testdev_balanced_images/testdev-00000-of-00001.parquet", images, [
        {"id": "n161313", "image": image_cell(1, "n161313.jpg")},
        {"id": "n288870", "image": image_cell(0, "n288870.jpg")},
        {"id": "n999999", "image": image_cell(7, "n999999.jpg")},
    ])


def write_official_train_jsonl(root: Path) -> None:
    """The Qwen-VL few-shot pools: data/<name>/<file>.jsonl, image paths relative to ``root``."""
    pools = {"vqav2/vqav2_train.jsonl": "coco/train2014", "okvqa/okvqa_train.jsonl": "coco/train2014",
             "vizwiz/vizwiz_train.jsonl": "vizwiz/train", "gqa/train.jsonl": "gqa/images"}
    for file, image_dir in pools.items():
        lines = []
        for k in range(3):
            rel = f"data/{image_dir}/train_{k}.png"
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(png(10 + k))
            lines.append(json.dumps({"image": rel, "question": f"What is shown in picture {k}?",
                                     "question_id": 500 + k, "answer": f"thing{k}"}))
        path = root / "data" / file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- text VQA ------------------------------------------------------------------------------------------


def write_text_vqa(root: Path) -> None:
    textvqa = pa.schema([("image_id", pa.string()), ("question_id", pa.int32()), ("question", pa.string()),
                         ("question_tokens", pa.list_(pa.string())), ("image", IMAGE), ("image_width", pa.int32()),
                         ("image_height", pa.int32()), ("flickr_original_url", pa.string()),
                         ("flickr_300k_url", pa.string()), ("answers", pa.list_(pa.string())),
                         ("image_classes", pa.list_(pa.string())), ("set_name", pa.string()),
                         ("ocr_tokens", pa.list_(pa.string()))])

    def textvqa_rows(split: str, base: int) -> list[dict[str, Any]]:
        return [{"image_id": f"{base + i:016x}", "question_id": base + i, "question": "what is the brand name?",
                 "question_tokens": ["what", "is", "the", "brand", "name"], "image": image_cell(base + i, "x.jpg"),
                 "image_width": 64, "image_height": 48, "flickr_original_url": "https://farm.example/x.jpg",
                 "flickr_300k_url": "https://farm.example/y.jpg", "answers": ten("nokia" if i == 0 else "sony"),
                 "image_classes": ["Mobile phone"], "set_name": split, "ocr_tokens": ["NOKIA"]} for i in range(2)]

    write_parquet(shard(root, "textvqa/data", "validation"), textvqa, textvqa_rows("val", 34602))
    write_parquet(shard(root, "textvqa/data", "train"), textvqa, textvqa_rows("train", 0))

    docvqa = pa.schema([("questionId", pa.string()), ("question", pa.string()),
                        ("question_types", pa.list_(pa.string())), ("image", IMAGE), ("docId", pa.int64()),
                        ("ucsf_document_id", pa.string()), ("ucsf_document_page_no", pa.string()),
                        ("answers", pa.list_(pa.string())), ("data_split", pa.string())])

    def doc_rows(split: str, base: int) -> list[dict[str, Any]]:
        return [{"questionId": str(base + i), "question": "What is the date mentioned in this letter?",
                 "question_types": ["handwritten", "form"], "image": image_cell(base + i, "doc.png"),
                 "docId": 14465 + i, "ucsf_document_id": "txpp0227", "ucsf_document_page_no": str(10 + i),
                 "answers": ["1/8/93", "January 8, 1993"], "data_split": split} for i in range(2)]

    write_parquet(root / "DocVQA/DocVQA/validation-00000-of-00001.parquet", docvqa, doc_rows("val", 49153))
    write_parquet(root / "DocVQA/DocVQA/train-00000-of-00001.parquet", docvqa, doc_rows("train", 1))

    chartqa = pa.schema([("type", pa.string()), ("question", pa.string()), ("answer", pa.string()), ("image", IMAGE)])
    write_parquet(shard(root, "ChartQA/data", "test"), chartqa, [
        {"type": "human_test", "question": "How many food item is shown in the bar graph?", "answer": "14",
         "image": image_cell(20, "chart0.png")},
        {"type": "augmented_test", "question": "What is the value of the largest bar?", "answer": "64.5",
         "image": image_cell(21, "chart1.png")},
    ])
    chartqa_train = pa.schema([("image", IMAGE), ("query", pa.string()), ("label", pa.list_(pa.string())),
                               ("human_or_machine", pa.int64())])
    write_parquet(shard(root, "ChartQA-train/data", "train"), chartqa_train, [
        {"image": image_cell(22 + i, f"t{i}.png"), "query": f"What is bar {i}?", "label": [str(10 * i)],
         "human_or_machine": i % 2} for i in range(3)])

    ai2d = pa.schema([("question", pa.string()), ("options", pa.list_(pa.string())), ("answer", pa.string()),
                      ("image", IMAGE)])
    write_parquet(shard(root, "ai2d/data", "test"), ai2d, [
        {"question": "which of these define dairy item", "options": ["c", "D", "b", "a"], "answer": "1",
         "image": image_cell(30, "ai2d0.png")},
        {"question": "Which stage follows the egg?", "options": ["adult", "larva", "pupa", "nymph"], "answer": "1",
         "image": image_cell(31, "ai2d1.png")},
    ])

    bbox = pa.struct([("width", pa.float64()), ("height", pa.float64()), ("top_left_x", pa.float64()),
                      ("top_left_y", pa.float64())])
    ocrvqa = pa.schema([("image", IMAGE), ("image_id", pa.string()), ("questions", pa.list_(pa.string())),
                        ("answers", pa.list_(pa.string())), ("ocr_tokens", pa.list_(pa.string())),
                        ("ocr_info", pa.list_(pa.struct([("word", pa.string()), ("bounding_box", bbox)]))),
                        ("title", pa.string()), ("authorName", pa.string()), ("genre", pa.string()),
                        ("image_width", pa.int64()), ("image_height", pa.int64()), ("image_url", pa.string()),
                        ("set_name", pa.string())])

    def book(i: int, split: str) -> dict[str, Any]:
        return {"image": image_cell(40 + i, f"{i}.jpg"), "image_id": f"07868{i:05d}",
                "questions": ["Who wrote this book?", "What is the title of this book?", "Is this a comedy book?"],
                "answers": [f"Author {i}", f"Title {i}", "No"], "ocr_tokens": ["Title", str(i)],
                "ocr_info": [{"word": "Title", "bounding_box": {"width": 0.3, "height": 0.1, "top_left_x": 0.1,
                                                                "top_left_y": 0.2}}],
                "title": f"Title {i}", "authorName": f"Author {i}", "genre": "Arts & Photography",
                "image_width": 64, "image_height": 48, "image_url": "http://ecx.images-amazon.com/x.jpg",
                "set_name": split}

    write_parquet(shard(root, "OCR-VQA/data", "test"), ocrvqa, [book(0, "test"), book(1, "test")])
    write_parquet(shard(root, "OCR-VQA/data", "train"), ocrvqa, [book(5, "train"), book(6, "train")])


# -- multiple choice -----------------------------------------------------------------------------------


def write_multiple_choice(root: Path) -> None:
    scienceqa = pa.schema([("image", IMAGE), ("question", pa.string()), ("choices", pa.list_(pa.string())),
                           ("answer", pa.int8()), ("hint", pa.string()), ("task", pa.string()), ("grade", pa.string()),
                           ("subject", pa.string()), ("topic", pa.string()), ("category", pa.string()),
                           ("skill", pa.string()), ("lecture", pa.string()), ("solution", pa.string())])
    row = {"task": "closed choice", "grade": "grade2", "subject": "social science", "topic": "geography",
           "category": "Geography", "skill": "Read a map: cardinal directions", "lecture": "Maps have four directions.",
           "solution": "Look at the compass rose."}
    write_parquet(root / "ScienceQA/ScienceQA-IMG/test-00000-of-00001.parquet", scienceqa, [
        {**row, "image": image_cell(50, "map.png"), "question": "Which of these states is farthest north?",
         "choices": ["West Virginia", "Louisiana", "Arizona", "Oklahoma"], "answer": 0, "hint": ""},
        {**row, "image": image_cell(50, "map.png"), "question": "Which of these states is farthest north?",
         "choices": ["West Virginia", "Louisiana", "Arizona", "Oklahoma"], "answer": 0, "hint": ""},
        {**row, "image": image_cell(51, "magnet.png"), "question": "Will these magnets attract or repel?",
         "choices": ["repel", "attract"], "answer": 1, "subject": "natural science",
         "hint": "Two magnets are placed as shown."},
    ])
    seed = pa.schema([("answer", pa.string()), ("choice_a", pa.string()), ("choice_b", pa.string()),
                      ("choice_c", pa.string()), ("choice_d", pa.string()), ("data_id", pa.string()),
                      ("data_type", pa.string()), ("image", pa.list_(IMAGE)), ("question", pa.string()),
                      ("question_id", pa.string()), ("question_type_id", pa.int16())])
    write_parquet(shard(root, "SEED-Bench/data", "test"), seed, [
        {"answer": "A", "choice_a": "One", "choice_b": "Two", "choice_c": "Three", "choice_d": "Four",
         "data_id": "1454426_2591111986", "data_type": "image", "image": [image_cell(60, "1454426_2591111986.jpg")],
         "question": "How many towels are in the image?", "question_id": "101669", "question_type_id": 5},
        {"answer": "C", "choice_a": "pushing", "choice_b": "lifting", "choice_c": "throwing", "choice_d": "folding",
         "data_id": "58434.webm", "data_type": "video",
         "image": [image_cell(61 + k, f"v1738_{k}.jpg") for k in range(8)],
         "question": "What action is shown?", "question_id": "v1738", "question_type_id": 10},
    ])


# -- grounding -----------------------------------------------------------------------------------------

REFCOCO = pa.schema([("question_id", pa.string()), ("image", IMAGE), ("question", pa.string()),
                     ("answer", pa.list_(pa.string())), ("segmentation", pa.list_(pa.float32())),
                     ("bbox", pa.list_(pa.float32())), ("iscrowd", pa.int8()), ("file_name", pa.string())])
REFCOCO_SPLITS = {"RefCOCO": ("val", "testA", "testB"), "RefCOCOplus": ("val", "testA", "testB"),
                  "RefCOCOg": ("val", "test")}


def write_grounding(root: Path) -> None:
    for folder, splits in REFCOCO_SPLITS.items():
        for split in splits:
            write_parquet(shard(root, f"{folder}/data", split), REFCOCO, [
                {"question_id": "1000", "image": image_cell(70, "COCO_train2014_000000581857.jpg", size=(200, 100)),
                 "question": "Please carefully observe the area circled in the image and come up with a caption.",
                 "answer": ["woman in red", "left woman"], "segmentation": [20.0, 10.0, 70.0, 10.0, 70.0, 60.0],
                 "bbox": [20.0, 10.0, 50.0, 50.0], "iscrowd": 0, "file_name": "COCO_train2014_000000581857_1.jpg"},
                {"question_id": "1001", "image": image_cell(71, "COCO_train2014_000000581858.jpg", size=(100, 80)),
                 "question": "Please carefully observe the area circled in the image and come up with a caption.",
                 "answer": ["dog on right"], "segmentation": [50.0, 40.0, 90.0, 40.0, 90.0, 70.0],
                 "bbox": [50.0, 40.0, 40.0, 30.0], "iscrowd": 0, "file_name": "COCO_train2014_000000581858_2.jpg"},
            ])


# -- MME -----------------------------------------------------------------------------------------------

MME = pa.schema([("question_id", pa.string()), ("image", IMAGE), ("question", pa.string()), ("answer", pa.string()),
                 ("category", pa.string())])


def mme_rows() -> list[dict[str, Any]]:
    """Two images of each of two subtasks, two questions per image (Yes first, as in MME)."""
    rows = []
    for k, (category, name, thing) in enumerate([("existence", "000000006040.jpg", "a train"),
                                                 ("existence", "000000018150.jpg", "a bed"),
                                                 ("code_reasoning", "0020.png", "the output 3"),
                                                 ("code_reasoning", "0021.png", "the output 7")]):
        cell = image_cell(80 + k, name)
        for answer, subject in (("Yes", thing), ("No", "a giraffe")):
            rows.append({"question_id": f"{category}/{name}", "image": cell, "answer": answer, "category": category,
                         "question": f"Is there {subject} in this image? Please answer yes or no."})
    return rows


def write_mme(root: Path) -> None:
    write_parquet(shard(root, "MME/data", "test"), MME, mme_rows())


# -- TouchStone ----------------------------------------------------------------------------------------


def write_touchstone(root: Path) -> None:
    """The official TSV layout: tab-separated, base64 images; row 2 holds two images as a list literal."""
    header = ["index", "image", "question", "human_annotation", "gpt4_ha_answer", "category", "task_name"]
    b64 = [base64.b64encode(png(90 + k)).decode("ascii") for k in range(3)]
    rows = [
        ["0", b64[0], "Describe this image in detail.", "A red square on a gray background.",
         "The image shows a red square centred on a plain gray background.", "basic description",
         "detailed description"],
        ["1", str([b64[1], b64[2]]), "What differs between the two pictures?",
         "Picture 1 is green; picture 2 is blue.", "The first picture is green while the second is blue.",
         "multi-image analysis,comparison", "compare two images"],
    ]
    path = root / "touchstone" / "touchstone_20230831.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")


def write_fixtures(root: Path) -> Path:
    """Every benchmark's tiny local copy under ``root`` (created); returns ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for write in (write_captioning, write_general_vqa, write_text_vqa, write_multiple_choice, write_grounding,
                  write_mme, write_touchstone):
        write(root)
    return root


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m tests.make_fixtures OUTPUT_FOLDER")
    print(write_fixtures(Path(sys.argv[1])))
