"""``evalkit chat --model NAME_OR_PATH --image FILE [--raw] [--max-new-tokens N] "question"``.

Prints the model's greedy answer to one question about one image, and nothing else on stdout, so
a checkpoint can be tried in one line. The image is read into memory; its path only names it.

Prompt forms (those of the official Qwen-VL code):

* a checkpoint whose ``generation_config.json`` says ``chat_format: chatml`` (Qwen-VL-Chat): ChatML
  with the system prompt ``You are a helpful assistant.`` and the user turn ``<img>FILE</img>\\nquestion``
  (the official MME form);
* otherwise, or with ``--raw``: the completion prompt ``<img>FILE</img>question`` (the eval-script form).

Generation is greedy, up to ``--max-new-tokens`` or a stop token. The answer is every new token
decoded without special tokens, stripped, as the official evaluation scripts decode. Unlike the
official ``model.chat()``, which drops the last token of an answer that ended by length, ``evalkit
chat`` prints all of it; ``evalkit.models.qwen_vl.official_chat_response`` reproduces that quirk.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="registered name (evalkit list models), checkpoint folder or hub id")
    p.add_argument("--image", required=True, help="image file to ask about")
    p.add_argument("--raw", action="store_true", help="use the raw completion prompt even for a chat checkpoint")
    p.add_argument("--max-new-tokens", type=int, default=512, help="most tokens to generate (default 512)")
    p.add_argument("--model-args", help="backend arguments k=v,... (e.g. device=cpu,dtype=fp32)")
    p.add_argument("question", help="the question about the image")


def main(args: argparse.Namespace) -> int:
    from evalkit import load_model
    from evalkit.data.images import LazyImage
    from evalkit.errors import ConfigError, DataError
    from evalkit.models.base import GenerateRequest, GenerationSettings
    from evalkit.prompts.types import ImagePart, Prompt, TextPart, Turn
    from evalkit.runner.config import parse_kv

    if args.max_new_tokens < 1:
        raise ConfigError("--max-new-tokens must be at least 1")
    image_path = Path(args.image).expanduser()
    if not image_path.is_file():
        raise DataError(f"image {args.image} does not exist; pass --image with the path of an image file")
    image = LazyImage(args.image, image_path.read_bytes())
    image.load()  # a corrupt file fails here, before a model is loaded

    model = load_model(args.model, **parse_kv(args.model_args, "--model-args"))
    chat = not args.raw and getattr(model, "chat_format", "chatml") == "chatml"
    if chat:
        prompt = Prompt(turns=(Turn("user", (ImagePart(image), TextPart("\n" + args.question))),), style="chat")
    else:
        prompt = Prompt.raw(ImagePart(image), TextPart(args.question))
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens)
    [result] = model.generate([GenerateRequest(prompt, settings)])
    print(result.text)
    return 0
