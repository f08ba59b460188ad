"""The greedy decoding loop on a scripted network: stop tokens, min/max new tokens, row dropping."""

from __future__ import annotations

import torch

from evalkit.models.qwen_vl.generation import GreedySettings, greedy_generate, left_pad
from evalkit.models.qwen_vl.kv_cache import KVCache

VOCAB = 16
EOS = 15


class ScriptedNetwork:
    """Next token = last token + 1; once that reaches ``stop_after[row]`` the best token is EOS.

    Records the batch size of every decode call, so row dropping is visible.
    """

    def __init__(self, stop_at: int) -> None:
        self.stop_at = stop_at
        self.batch_sizes: list[int] = []

    def new_cache(self, valid: torch.Tensor, capacity: int, mode: str, extra_tokens: object = None) -> KVCache:
        batch = valid.size(0)
        return KVCache(1, batch, 1, 2, capacity, shift=torch.zeros(batch, dtype=torch.long),
                       inv_freq=torch.zeros(batch, 1), dtype=torch.float32, device=torch.device("cpu"))

    def __call__(self, ids: torch.Tensor, cache: KVCache, **kwargs: object) -> torch.Tensor:
        self.batch_sizes.append(ids.size(0))
        cache.key_valid[:, cache.length : cache.length + ids.size(1)] = True
        cache.length += ids.size(1)
        return ids.unsqueeze(-1).float()

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        last = hidden[..., 0].long()
        scores = torch.zeros(*last.shape, VOCAB)
        nxt = (last + 1).clamp(max=VOCAB - 2)
        scores.scatter_(-1, nxt.unsqueeze(-1), 1.0)
        scores[..., EOS] = torch.where(last + 1 >= self.stop_at, 2.0, 0.0)
        return scores


def _settings(max_new: int, min_new: int = 0) -> GreedySettings:
    return GreedySettings(max_new_tokens=max_new, min_new_tokens=min_new, stop_ids=(EOS,), pad_id=0)


def test_left_pad_right_aligns_real_tokens() -> None:
    ids, valid = left_pad([[5, 6, 7], [9]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 9]]
    assert valid.tolist() == [[True, True, True], [False, False, True]]


def test_stops_at_the_stop_token_and_excludes_it() -> None:
    out = greedy_generate(ScriptedNetwork(stop_at=6), [[1, 3]], None, _settings(10))  # type: ignore[arg-type]
    assert out[0].ids == [4, 5] and out[0].stopped


def test_min_new_tokens_masks_the_stop_token() -> None:
    out = greedy_generate(ScriptedNetwork(stop_at=4), [[3]], None, _settings(10, min_new=3))  # type: ignore[arg-type]
    assert out[0].ids == [4, 5, 6] and out[0].stopped


def test_max_new_tokens_ends_without_stop() -> None:
    out = greedy_generate(ScriptedNetwork(stop_at=99), [[1]], None, _settings(3))  # type: ignore[arg-type]
    assert out[0].ids == [2, 3, 4] and not out[0].stopped


def test_finished_rows_leave_the_batch_and_others_continue() -> None:
    network = ScriptedNetwork(stop_at=8)
    out = greedy_generate(network, [[6], [1, 1, 1]], None, _settings(10))  # type: ignore[arg-type]
    assert out[0].ids == [7] and out[0].stopped
    assert out[1].ids == [2, 3, 4, 5, 6, 7] and out[1].stopped
    assert network.batch_sizes[:2] == [2, 2] and set(network.batch_sizes[2:]) == {1}  # prefill, step 1, then one row


def test_should_stop_ends_one_row_early() -> None:
    out = greedy_generate(ScriptedNetwork(stop_at=99), [[1], [1]], None, _settings(6),  # type: ignore[arg-type]
                          should_stop=lambda row, ids: row == 0 and ids[-1] == 3)
    assert out[0].ids == [2, 3] and not out[0].stopped
    assert out[1].ids == [2, 3, 4, 5, 6, 7]
