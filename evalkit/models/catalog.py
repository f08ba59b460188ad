"""The built-in model names shown by ``evalkit list models``."""

from evalkit.models.registry import ModelEntry, register_model

register_model(
    ModelEntry(
        name="qwen-vl",
        loader="evalkit.models.qwen_vl:load",
        source="Qwen/Qwen-VL",
        description="Qwen-VL (base), official weights through evalkit's own implementation",
    )
)
register_model(
    ModelEntry(
        name="qwen-vl-chat",
        loader="evalkit.models.qwen_vl:load",
        source="Qwen/Qwen-VL-Chat",
        description="Qwen-VL-Chat, official weights through evalkit's own implementation",
    )
)
register_model(
    ModelEntry(
        name="qwen2-vl-2b",
        loader="evalkit.models.hf:load",
        source="Qwen/Qwen2-VL-2B-Instruct",
        description="Qwen2-VL-2B-Instruct through the Hugging Face adapter",
    )
)
register_model(
    ModelEntry(
        name="qwen2.5-vl-3b",
        loader="evalkit.models.hf:load",
        source="Qwen/Qwen2.5-VL-3B-Instruct",
        description="Qwen2.5-VL-3B-Instruct through the Hugging Face adapter",
    )
)
register_model(
    ModelEntry(
        name="qwen-vl-tiny",
        loader="evalkit.tiny.bundled:load",
        source="_models/qwen-vl-tiny",
        description="a 1.6M-parameter Qwen-VL trained on the synthetic benchmarks, bundled (offline, CPU)",
    )
)
