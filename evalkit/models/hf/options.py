"""The ``--model-args`` the Hugging Face backend understands, parsed and checked.

Values arrive as strings from the command line (``--model-args dtype=bf16,device=cuda``) or as
typed values from Python (``load_model(path, dtype="bf16", max_pixels=200704)``); both go
through the same parser, so a typo or a bad value fails the same way in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from evalkit.errors import ConfigError, did_you_mean

DTypeName = Literal["bf16", "fp16", "fp32", "auto"]

_DTYPE_ALIASES: dict[str, DTypeName] = {
    "bf16": "bf16",
    "bfloat16": "bf16",
    "fp16": "fp16",
    "float16": "fp16",
    "half": "fp16",
    "fp32": "fp32",
    "float32": "fp32",
    "float": "fp32",
    "auto": "auto",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_DEVICE = re.compile(r"^(cpu|cuda(:\d+)?)$")

# What each one means is documented in the package docstring (``evalkit.models.hf``).
KNOWN_ARGS = ("device", "dtype", "revision", "attn_implementation", "trust_remote_code", "min_pixels", "max_pixels")


@dataclass(frozen=True)
class HFModelArgs:
    """Validated settings of one Hugging Face model load.

    ``device`` and ``dtype`` stay ``None`` until ``resolved`` fills in the defaults for the
    machine, so that the defaults are decided in one place.
    """

    device: str | None = None
    dtype: DTypeName | None = None
    revision: str | None = None
    attn_implementation: str | None = None
    trust_remote_code: bool = False
    min_pixels: int | None = None
    max_pixels: int | None = None

    def resolved(self, cuda_available: bool) -> HFModelArgs:
        device = self.device or ("cuda" if cuda_available else "cpu")
        if device.startswith("cuda") and not cuda_available:
            raise ConfigError(f"device={device} was asked for but CUDA is not available here; pass device=cpu")
        dtype: DTypeName = self.dtype or ("fp32" if device == "cpu" else "auto")
        return HFModelArgs(
            device=device,
            dtype=dtype,
            revision=self.revision,
            attn_implementation=self.attn_implementation,
            trust_remote_code=self.trust_remote_code,
            min_pixels=self.min_pixels,
            max_pixels=self.max_pixels,
        )


def parse_model_args(model_args: dict[str, Any]) -> HFModelArgs:
    """Check the keys and values of ``model_args`` and return them typed."""
    unknown = sorted(set(model_args) - set(KNOWN_ARGS))
    if unknown:
        key = unknown[0]
        raise ConfigError(
            f"unknown model arg {key!r} for the hf backend{did_you_mean(key, KNOWN_ARGS)} "
            f"(known: {', '.join(KNOWN_ARGS)})"
        )
    args: dict[str, Any] = {}
    if model_args.get("device") is not None:
        device = str(model_args["device"]).strip().lower()
        if not _DEVICE.match(device):
            raise ConfigError(f"model arg device={model_args['device']!r} is not one of cpu, cuda, cuda:N")
        args["device"] = device
    if model_args.get("dtype") is not None:
        name = str(model_args["dtype"]).strip().lower().removeprefix("torch.")
        if name not in _DTYPE_ALIASES:
            raise ConfigError(f"model arg dtype={model_args['dtype']!r} is not one of bf16, fp16, fp32, auto")
        args["dtype"] = _DTYPE_ALIASES[name]
    for key in ("revision", "attn_implementation"):
        if model_args.get(key) is not None:
            args[key] = str(model_args[key]).strip()
    if "trust_remote_code" in model_args:
        args["trust_remote_code"] = _parse_bool("trust_remote_code", model_args["trust_remote_code"])
    for key in ("min_pixels", "max_pixels"):
        if model_args.get(key) is not None:
            args[key] = _parse_positive_int(key, model_args[key])
    parsed = HFModelArgs(**args)
    if parsed.min_pixels is not None and parsed.max_pixels is not None and parsed.min_pixels > parsed.max_pixels:
        raise ConfigError(f"model args min_pixels={parsed.min_pixels} is larger than max_pixels={parsed.max_pixels}")
    return parsed


def _parse_bool(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"model arg {key}={value!r} is not a boolean; use true or false")


def _parse_positive_int(key: str, value: object) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"model arg {key}={value!r} is not a positive integer")
    try:
        number = int(value) if isinstance(value, int) else int(str(value).strip())
    except ValueError:
        raise ConfigError(f"model arg {key}={value!r} is not a positive integer") from None
    if number <= 0:
        raise ConfigError(f"model arg {key}={value!r} is not a positive integer")
    return number
