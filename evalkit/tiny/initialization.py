"""Initial weights of a Qwen-VL network trained from scratch, following the official initialisation.

``modeling_qwen.py`` draws linear and embedding weights from N(0, 0.02) and zeroes biases; ``visual.py``
draws the resampler queries from N(0, 0.02), the output projection from N(0, 1/sqrt(width)), the
ViT position table from N(0, 1/sqrt(width)), and fixes the resampler's ``pos_embed`` to the 2-D
sin-cos table (channels [0, D/2) encode the column, [D/2, D) the row).

One departure, for training from scratch: the resampler starts out local. Drawn as above, its
queries attend uniformly to every patch, so all image tokens begin as one average of the image and
a small model never learns where things are. ``local_resampler`` sets the attention so that each
query looks at the patch under its grid position (keys and queries carry mostly the shared sin-cos
positions, values the patch content), a starting point the training is free to move away from.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from evalkit.errors import ConfigError
from evalkit.models.qwen_vl.network import QwenVLNetwork


def sincos_grid(dim: int, grid: int = 16) -> torch.Tensor:
    """The fixed (grid*grid, dim) 2-D sin-cos position table of the resampler."""
    quarter = dim // 4
    omega = 1.0 / (10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter))
    rows, cols = torch.meshgrid(torch.arange(grid, dtype=torch.float64), torch.arange(grid, dtype=torch.float64),
                                indexing="ij")

    def encode(values: torch.Tensor) -> torch.Tensor:
        angles = values.reshape(-1, 1) * omega.reshape(1, -1)
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    return torch.cat([encode(cols), encode(rows)], dim=1).float()


@torch.no_grad()
def initialize(network: QwenVLNetwork, seed: int) -> None:
    """Fill ``network`` with fresh weights drawn from ``seed`` (same seed, same weights)."""
    generator = torch.Generator().manual_seed(seed)
    for module in network.modules():
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.normal_(0.0, 0.02, generator=generator)
            bias = getattr(module, "bias", None)
            if bias is not None:
                bias.zero_()
        elif isinstance(module, nn.MultiheadAttention):
            module.in_proj_weight.normal_(0.0, 0.02, generator=generator)
            module.in_proj_bias.zero_()
            module.out_proj.weight.normal_(0.0, 0.02, generator=generator)
            module.out_proj.bias.zero_()
        elif isinstance(module, nn.Conv2d):
            module.weight.normal_(0.0, 0.02, generator=generator)
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()
    visual = network.transformer.visual
    width = visual.conv1.out_channels
    visual.positional_embedding.normal_(0.0, 1 / math.sqrt(width), generator=generator)
    visual.proj.normal_(0.0, 1 / math.sqrt(visual.proj.size(0)), generator=generator)
    visual.attn_pool.query.normal_(0.0, 0.02, generator=generator)
    pos_embed = visual.attn_pool.pos_embed
    pos_embed.copy_(sincos_grid(pos_embed.size(1), math.isqrt(pos_embed.size(0))))
    local_resampler(network)


@torch.no_grad()
def local_resampler(network: QwenVLNetwork, sharpness: float = 3.0, content_gain: float = 0.1) -> None:
    """Make each resampler query attend mostly to the patch at its own grid position.

    The query and key projections are ``sharpness`` times the identity and ``ln_q`` / ``ln_kv`` scale
    the learned query and the patch content by ``content_gain``, so the attention logits are almost
    the dot products of the sin-cos positions; the value projection undoes the content gain and the
    output projection is the identity. At the defaults a query puts about two thirds of its weight
    on its own patch.
    """
    pool = network.transformer.visual.attn_pool
    width = pool.query.size(1)
    eye = torch.eye(width)
    pool.ln_q.weight.fill_(content_gain)
    pool.ln_kv.weight.fill_(content_gain)
    pool.attn.in_proj_weight.copy_(torch.cat([sharpness * eye, sharpness * eye, eye / content_gain]))
    pool.attn.in_proj_bias.zero_()
    pool.attn.out_proj.weight.copy_(eye)
    pool.attn.out_proj.bias.zero_()


@torch.no_grad()
def grow(network: QwenVLNetwork, source: dict[str, torch.Tensor]) -> int:
    """Load ``source``, the weights of a network that differs from ``network`` only in having fewer
    language-model layers, so that ``network`` computes what the source computes.

    The source's layers become the first ones; each layer above them keeps its fresh weights except
    for the output projections of its attention and MLP, which are zeroed, so that it adds nothing to
    the residual stream until training moves it (their inputs are not zero, so their gradients are
    not). Returns how many layers were added. Any other difference is an error.
    """
    layers = len(network.transformer.h)
    depth = 1 + max((int(key.split(".")[2]) for key in source if key.startswith("transformer.h.")), default=-1)
    if depth > layers:
        raise ConfigError(f"the checkpoint has {depth} language-model layers, more than the {layers} of this "
                          "network; a network can only grow")
    own = network.state_dict()
    mismatched = sorted(key for key, value in source.items() if key not in own or own[key].shape != value.shape)
    missing = sorted(key for key in own if key not in source and not _above(key, depth))
    if mismatched or missing:
        raise ConfigError(f"the checkpoint differs from this network beyond its depth (other or missing weights: "
                          f"{', '.join((mismatched + missing)[:6])}); start from one of the same sizes")
    network.load_state_dict(source, strict=False)
    for block in network.transformer.h[depth:]:
        for projection in (block.attn.c_proj, block.mlp.c_proj):
            projection.weight.zero_()
            if projection.bias is not None:
                projection.bias.zero_()
    return layers - depth


def _above(key: str, depth: int) -> bool:
    parts = key.split(".")
    return key.startswith("transformer.h.") and int(parts[2]) >= depth
