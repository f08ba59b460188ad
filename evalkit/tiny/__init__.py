"""``qwen-vl-tiny``: a small Qwen-VL trained on the synthetic benchmarks, bundled so that evalkit runs offline.

The network is the bundled Qwen-VL implementation itself (vision tower, position-aware resampler,
language model) at small sizes, with its own byte-level BPE vocabulary written in the ``qwen.tiktoken``
format. The modules:

* ``architecture``: the sizes, and the ``config.json`` / ``generation_config.json`` they give;
* ``vocabulary``: training the BPE merges and writing them as a tiktoken file;
* ``sequences``: training sequences from the synthetic train splits, through the tasks' own prompts;
* ``checkpoint``: resumable training state and the export in the official Qwen-VL layout;
* ``train``: the training run (``python -m evalkit.tiny.train``);
* ``bundled``: where the committed checkpoint lives and how ``qwen-vl-tiny`` loads it.
"""
