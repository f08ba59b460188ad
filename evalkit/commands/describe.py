"""``evalkit describe TASK [--protocol P]``: the resolved spec and one fully rendered prompt."""

from __future__ import annotations

import argparse
import json


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", help="task name (evalkit list tasks)")
    p.add_argument("--protocol", help="which protocol to show (default: the task's default)")
    p.add_argument("--family", default="qwen-vl", choices=("qwen-vl", "chat"),
                   help="model family whose prompt variant to render (default qwen-vl)")
    p.add_argument("--data-dir", help="render a real sample from this local copy instead of the hub")
    p.add_argument("--num-fewshot", type=int, default=0, help="render with k examples")


def main(args: argparse.Namespace) -> int:
    from evalkit.errors import DataError
    from evalkit.tasks.registry import get_task

    spec = get_task(args.task)
    protocol = spec.protocol(args.protocol)
    print(f"task: {spec.name} (version {spec.version}, spec hash {spec.spec_hash})")
    print(f"file: {spec.file}")
    print("spec:")
    print(json.dumps(spec.raw, indent=2, ensure_ascii=False, default=str))
    print(f"\nprotocol: {protocol.name}  extractor: {protocol.extractor}  scorer: {protocol.scorer}  "
          f"aggregation: {protocol.aggregation}")
    if protocol.notes:
        print(f"notes: {protocol.notes}")
    try:
        prompt, sample_id = _render_one(spec, protocol.name, args.family, args.data_dir, args.num_fewshot)
    except DataError as exc:
        print(f"\n(no sample rendered: {exc})")
        print(f"template: {protocol.prompt_for(args.family).template!r}")
        print(f"\nprompt with placeholders (family {args.family}):")
        print(_template_prompt(spec, protocol, args.family))
        return 0
    print(f"\nprompt for sample {sample_id!r} (family {args.family}):")
    print(prompt)
    return 0


def _render_one(spec, protocol: str, family: str, data_dir: str | None, k: int) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from evalkit.runner.prepare import build_prompts, load_task

    loaded = load_task(spec, protocol=protocol, num_fewshot=k, limit=1,
                       data_dir=Path(data_dir) if data_dir else None)
    task = build_prompts(loaded, family=family, seed=1234)
    sample = task.samples[0]
    if sample.id in task.prompt_errors:
        from evalkit.errors import DataError

        raise DataError(task.prompt_errors[sample.id])
    prompt = task.prompts[sample.id]
    if family == "qwen-vl":
        text = _qwen_text(prompt)
        if text is not None:
            return text, sample.id
    return prompt.render_text(), sample.id


def _template_prompt(spec, protocol, family: str) -> str:  # type: ignore[no-untyped-def]
    """The prompt a sample would get, with each field shown as ``{name}`` and each image as
    ``{image}``: what describe shows when no data is at hand."""
    from evalkit.data.images import LazyImage
    from evalkit.data.samples import Sample
    from evalkit.prompts.build import build_prompt

    template = protocol.prompt_for(family).template
    images = tuple(LazyImage("{image}", b"") for _ in range(max(1, template.count("<image>"))))
    fields = protocol.fields or spec.fields
    options = ("{option_a}", "{option_b}") if fields.options is not None else ()
    text = {name: "{" + name + "}" for name in fields.text}
    sample = Sample("{id}", 0, images, text, options, None)
    prompt = build_prompt(sample, protocol, family)
    if family == "qwen-vl":
        rendered = _qwen_text(prompt)
        if rendered is not None:
            return rendered
    return prompt.render_text()


def _qwen_text(prompt) -> str | None:  # type: ignore[no-untyped-def]
    """The exact text the bundled Qwen-VL receives, when that implementation is available."""
    try:
        from evalkit.models.qwen_vl import render_prompt_text  # type: ignore[attr-defined]
    except ImportError:
        return None
    return render_prompt_text(prompt)
