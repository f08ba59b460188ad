"""A tiny randomly initialised Qwen2-VL checkpoint in the official Hugging Face layout, built offline.

``build_tiny_qwen2_vl(folder, seed)`` writes what ``Qwen/Qwen2-VL-2B-Instruct`` ships, shrunk:
``config.json`` and ``generation_config.json`` (with the Instruct checkpoint's sampling
defaults), ``model.safetensors``, and a ``Qwen2VLProcessor`` (image and video processors, a
byte-level BPE tokenizer with Qwen2-VL's special tokens and pre-tokenizer, and the official chat
template). The tokenizer is trained on a few fixed sentences, so the build needs no download; the
weights depend only on ``seed``. A build takes well under a second once transformers is imported.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# The official Qwen2-VL-Instruct chat template (chat_template.json of the hub checkpoints).
QWEN2_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Qwen2-VL's special tokens, in the order (and so the relative ids) of the official vocabulary.
SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# Qwen2's pre-tokenizer split (tokenizer.json of the official checkpoints).
_SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_CORPUS = (
    "You are a helpful assistant.",
    "What is in the image? Answer the question using a single word or phrase.",
    "Describe the image in English: a red cat sits on a blue mat near the window.",
    "Question: how many dogs are there? Options: A. one B. two C. three D. four Answer: B",
    "Is there a person in this picture? Please answer yes or no. Yes, there is.",
)
_BPE_VOCAB_SIZE = 320  # the 256 byte symbols plus 64 merges
_MODEL_VOCAB_SIZE = 384  # padded past the tokenizer, as the official embedding is
# Image area bounds: a 64x64 image becomes 56x56 = 4 merged visual tokens.
MIN_PIXELS = 56 * 56
MAX_PIXELS = 112 * 112


def build_tiny_qwen2_vl(folder: Path, seed: int = 0) -> Path:
    """Write a tiny random Qwen2-VL checkpoint into ``folder`` (created if needed) and return it.

    Deterministic: the same ``seed`` gives byte-identical files.
    """
    import torch
    from transformers import GenerationConfig, Qwen2VLConfig, Qwen2VLForConditionalGeneration, Qwen2VLProcessor

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = _build_tokenizer()
    processor = Qwen2VLProcessor(
        image_processor=_image_processor(),
        tokenizer=tokenizer,
        video_processor=_video_processor(),
        chat_template=QWEN2_VL_CHAT_TEMPLATE,
    )
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    config = Qwen2VLConfig(
        text_config={
            "vocab_size": _MODEL_VOCAB_SIZE,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 4096,
            # head_dim 16: the temporal/height/width rotary sections must sum to head_dim / 2.
            "rope_parameters": {"rope_type": "default", "mrope_section": [2, 3, 3], "rope_theta": 10000.0},
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            "pad_token_id": ids["<|endoftext|>"],
        },
        vision_config={
            "depth": 2,
            "embed_dim": 32,
            "hidden_size": 64,
            "num_heads": 2,
            "mlp_ratio": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2VLForConditionalGeneration(config).eval()
    # The Instruct checkpoint's sampling defaults; evalkit's greedy decoding must ignore them.
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<|endoftext|>"],
        pad_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
        do_sample=True,
        repetition_penalty=1.05,
        temperature=0.1,
        top_k=1,
        top_p=0.001,
    )
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


def _build_tokenizer() -> Any:
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    trainer_tokenizer = Tokenizer(models.BPE())
    trainer_tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(_SPLIT_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    trainer = trainers.BpeTrainer(
        vocab_size=_BPE_VOCAB_SIZE,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    trainer_tokenizer.train_from_iterator(_CORPUS, trainer)
    bpe = json.loads(trainer_tokenizer.to_str())["model"]
    vocab: dict[str, int] = dict(bpe["vocab"])
    for token in SPECIAL_TOKENS:
        vocab[token] = len(vocab)
    # As in the official tokenizer_config.json: no unknown token, <|im_end|> ends a turn.
    options: dict[str, Any] = {
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "additional_special_tokens": list(SPECIAL_TOKENS[1:]),
        "model_max_length": 32768,
    }
    merges: Any = [tuple(merge) for merge in bpe["merges"]]
    return Qwen2Tokenizer(vocab=vocab, merges=merges, **options)


def _image_processor() -> Any:
    from transformers import Qwen2VLImageProcessor

    return Qwen2VLImageProcessor(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)


def _video_processor() -> Any:
    from transformers.models.qwen2_vl.video_processing_qwen2_vl import Qwen2VLVideoProcessor

    return Qwen2VLVideoProcessor(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
