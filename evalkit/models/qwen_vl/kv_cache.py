"""A preallocated key/value cache that also carries each row's position state.

Besides keys and values per layer, a row keeps what the official model derives once at prefill
and reuses at every decode step: its position shift and its RoPE inverse frequencies (the NTK alpha
of the prefill). ``key_valid`` marks slots that hold real tokens, so left padding is never attended.
"""

from __future__ import annotations

import torch


class KVCache:
    def __init__(
        self,
        n_layers: int,
        batch: int,
        heads: int,
        head_dim: int,
        capacity: int,
        *,
        shift: torch.Tensor,
        inv_freq: torch.Tensor,
        dtype: torch.dtype,
        device: torch.device,
    ) -> None:
        shape = (batch, heads, capacity, head_dim)
        self.keys = [torch.empty(shape, dtype=dtype, device=device) for _ in range(n_layers)]
        self.values = [torch.empty(shape, dtype=dtype, device=device) for _ in range(n_layers)]
        self.key_valid = torch.zeros(batch, capacity, dtype=torch.bool, device=device)
        self.shift = shift.to(device)
        self.inv_freq = inv_freq.to(device)
        self.length = 0

    @property
    def batch(self) -> int:
        return self.key_valid.size(0)

    @property
    def capacity(self) -> int:
        return self.key_valid.size(1)

    def store(self, layer: int, keys: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write (batch, heads, tokens, head_dim) at the current length; return all keys/values so far."""
        end = self.length + keys.size(2)
        if end > self.capacity:
            raise RuntimeError(f"KV cache overflow: {end} tokens for a capacity of {self.capacity}")
        self.keys[layer][:, :, self.length : end] = keys
        self.values[layer][:, :, self.length : end] = values
        return self.keys[layer][:, :, :end], self.values[layer][:, :, :end]

    def select_rows(self, rows: torch.Tensor, capacity: int | None = None) -> "KVCache":
        """A new cache holding ``rows`` (repeats allowed) of this one, with room for ``capacity`` tokens."""
        capacity = self.capacity if capacity is None else capacity
        if capacity < self.length:
            raise ValueError(f"capacity {capacity} is below the {self.length} tokens already cached")
        rows = rows.to(self.key_valid.device)
        first = self.keys[0]
        out = KVCache(
            len(self.keys), rows.numel(), first.size(1), first.size(3), capacity,
            shift=self.shift[rows], inv_freq=self.inv_freq[rows], dtype=first.dtype, device=first.device,
        )
        n = self.length
        for layer in range(len(self.keys)):
            out.keys[layer][:, :, :n] = self.keys[layer][rows, :, :n]
            out.values[layer][:, :, :n] = self.values[layer][rows, :, :n]
        out.key_valid[:, :n] = self.key_valid[rows, :n]
        out.length = n
        return out
