"""Loading a checkpoint folder with ``AutoModelForImageTextToText`` and ``AutoProcessor``."""

from __future__ import annotations

import dataclasses
from typing import Any

from evalkit.errors import ConfigError, ModelLoadError
from evalkit.models.hf.checkpoint import Checkpoint, resolve_checkpoint, weights_fingerprint
from evalkit.models.hf.model import HFModel
from evalkit.models.hf.options import HFModelArgs, parse_model_args

_REMOTE_CODE_HINT = (
    "if you trust the Python code shipped with this checkpoint, pass --model-args trust_remote_code=true"
)


def load(source: str, **model_args: Any) -> HFModel:
    """Load ``source`` (a checkpoint folder or hub id) as an evalkit ``Model``; args as in the package doc."""
    parsed = parse_model_args(model_args)
    import torch

    args = parsed.resolved(cuda_available=torch.cuda.is_available())
    checkpoint = resolve_checkpoint(source, args.revision, args.trust_remote_code)
    processor = _load_processor(checkpoint, args)
    model = _load_model(checkpoint, args)
    return HFModel(model, processor, checkpoint, args, weights_fingerprint(checkpoint.folder))


def _load_model(checkpoint: Checkpoint, args: HFModelArgs) -> Any:
    import torch
    from transformers import AutoModelForImageTextToText

    dtypes: dict[str, Any] = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32, "auto": "auto"}
    kwargs: dict[str, Any] = {
        "dtype": dtypes[args.dtype or "auto"],
        "trust_remote_code": args.trust_remote_code,
        "local_files_only": True,
        "use_safetensors": True,
    }
    if args.attn_implementation is not None:
        kwargs["attn_implementation"] = args.attn_implementation
    try:
        model: Any = AutoModelForImageTextToText.from_pretrained(checkpoint.folder, **kwargs)
    except (ValueError, OSError, ImportError, KeyError) as exc:
        raise ModelLoadError(_explain(checkpoint, "model", exc)) from None
    return model.to(args.device).eval()


def _load_processor(checkpoint: Checkpoint, args: HFModelArgs) -> Any:
    from transformers import AutoProcessor

    try:
        processor = AutoProcessor.from_pretrained(
            checkpoint.folder, trust_remote_code=args.trust_remote_code, local_files_only=True
        )
    except (ValueError, OSError, ImportError, KeyError) as exc:
        raise ModelLoadError(_explain(checkpoint, "processor", exc)) from None
    tokenizer = getattr(processor, "tokenizer", None)
    if tokenizer is None:
        raise ModelLoadError(
            f"{checkpoint.source} has a text-only tokenizer, not a vision-language processor; "
            f"the hf backend needs an image-text-to-text checkpoint"
        )
    _apply_pixel_bounds(processor, args, checkpoint.source)
    # Left padding keeps every prompt's end, where generation starts, at the same position.
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return processor


def _apply_pixel_bounds(processor: Any, args: HFModelArgs, source: str) -> None:
    """Set ``min_pixels``/``max_pixels`` on a Qwen2-VL-style image processor, or fail (never ignore them)."""
    if args.min_pixels is None and args.max_pixels is None:
        return
    image_processor: Any = getattr(processor, "image_processor", None)
    size: Any = getattr(image_processor, "size", None)
    if getattr(size, "longest_edge", None) is None:
        raise ModelLoadError(
            f"model args min_pixels/max_pixels apply to Qwen2-VL-style image processors only, and {source}'s "
            f"image processor has no pixel bounds; remove them from --model-args"
        )
    bounds = {
        "shortest_edge": args.min_pixels or size.shortest_edge,
        "longest_edge": args.max_pixels or size.longest_edge,
    }
    if bounds["shortest_edge"] > bounds["longest_edge"]:
        raise ConfigError(
            f"min_pixels {bounds['shortest_edge']} would exceed max_pixels {bounds['longest_edge']} of {source}; "
            f"pass both model args"
        )
    image_processor.size = dataclasses.replace(size, **bounds)


def _explain(checkpoint: Checkpoint, what: str, exc: BaseException) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    hint = (
        _REMOTE_CODE_HINT
        if "trust_remote_code" in str(exc)
        else (
            "the hf backend loads image-text-to-text checkpoints (Qwen2-VL, Qwen2.5-VL and the like) "
            "saved in the Hugging Face format with safetensors weights"
        )
    )
    return f"cannot load the {what} of {checkpoint.source} ({type(exc).__name__}: {detail}); {hint}"
