"""Validation of ``tasks/<family>.yaml`` entries into the typed specs of ``evalkit.tasks.spec``.

Every error names the file, the key path and the fix (see ``evalkit.tasks.validate.Reader``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from evalkit.tasks.spec import (
    MODEL_FAMILIES,
    PROTOCOL_NAMES,
    SOURCE_FORMATS,
    FewShotSpec,
    FieldMap,
    FieldSpec,
    HubSource,
    JoinSpec,
    LocalSource,
    PromptSpec,
    ProtocolSpec,
    Source,
    TaskSpec,
)
from evalkit.tasks.validate import Reader

_TASK_KEYS = frozenset(
    {"name", "version", "description", "groups", "source", "fields", "output", "protocols", "default_protocol",
     "fewshot", "explode"}
)


def parse_task(data: Mapping[str, Any], where: str) -> TaskSpec:
    r = Reader(data, where)
    r.check_keys(_TASK_KEYS)
    name = r.get("name", str, required=True)
    r = Reader(data, where, f"tasks[{name}]")
    output = r.choice("output", ("generate", "choice"), default="generate")
    protocols_r = r.sub("protocols", required=True)
    assert protocols_r is not None
    if not protocols_r.data:
        raise protocols_r.fail("protocols", "needs at least one protocol")
    fields_r = r.sub("fields", required=True)
    assert fields_r is not None
    explode = tuple(r.get("explode", list, default=[]))
    protocols = {}
    for pname in protocols_r.data:
        if pname not in PROTOCOL_NAMES:
            raise protocols_r.fail(str(pname), f"unknown protocol; use one of {', '.join(PROTOCOL_NAMES)}")
        sub = protocols_r.sub(pname, required=True)
        assert sub is not None
        protocols[pname] = _parse_protocol(sub, pname, output, fields_r)
    default_protocol = r.get("default_protocol", str, default=next(iter(protocols)))
    if default_protocol not in protocols:
        raise r.fail("default_protocol", f"names no protocol of this task (it has: {', '.join(protocols)})")
    groups = r.get("groups", (list, str), default=[])
    fewshot_r = r.sub("fewshot")
    return TaskSpec(
        name=name,
        file=where,
        version=r.get("version", int, default=1),
        description=r.get("description", str, default=""),
        groups=tuple([groups] if isinstance(groups, str) else [str(g) for g in groups]),
        source=_parse_source(r.sub("source", required=True)),  # type: ignore[arg-type]
        fields=_parse_fields(fields_r),
        output=output,  # type: ignore[arg-type]
        protocols=protocols,
        default_protocol=default_protocol,
        fewshot=_parse_fewshot(fewshot_r, fields_r) if fewshot_r else None,
        explode=explode,
        raw=dict(data),
    )


def _parse_source(r: Reader, *, allow_join: bool = True) -> Source:
    r.check_keys({"hub", "local", "where", "join"} if allow_join else {"hub", "local", "where"})
    hub = local = None
    if (h := r.sub("hub")) is not None:
        h.check_keys({"id", "split", "config", "revision", "alt_ids"})
        hub = HubSource(
            id=h.get("id", str, required=True),
            split=h.get("split", str, required=True),
            config=h.get("config", str),
            revision=h.get("revision", str),
            alt_ids=tuple(h.get("alt_ids", list, default=[])),
        )
    if (loc := r.sub("local")) is not None:
        loc.check_keys({"format", "path", "image_root", "bundled"})
        local = LocalSource(
            format=loc.choice("format", SOURCE_FORMATS),
            path=loc.get("path", str, required=True),
            image_root=loc.get("image_root", str),
            bundled=loc.get("bundled", bool, default=False),
        )
    if hub is None and local is None:
        raise r.fail("hub", "a source needs 'hub' (a Hugging Face dataset) or 'local' (a file or folder)")
    where: dict[str, tuple[str, ...]] = {}
    if (w := r.sub("where")) is not None:
        for column, allowed in w.data.items():
            values = allowed if isinstance(allowed, list) else [allowed]
            if not values or any(isinstance(v, (dict, list)) or v is None for v in values):
                raise w.fail(str(column), "must be a value or a non-empty list of values to keep")
            where[str(column)] = tuple(str(v) for v in values)
    join = None
    if (j := r.sub("join")) is not None:
        j.check_keys({"hub", "local", "on_column", "key", "columns"})
        inner = Reader({k: v for k, v in j.data.items() if k in ("hub", "local")}, j.where, j.path)
        join = JoinSpec(
            source=_parse_source(inner, allow_join=False),
            on_column=j.get("on_column", str, required=True),
            key=j.get("key", str, required=True),
            columns=tuple(str(c) for c in j.get("columns", list, required=True)),
        )
    return Source(hub=hub, local=local, where=where, join=join)


def _parse_field(value: Any, r: Reader, name: str) -> FieldSpec:
    if isinstance(value, str):
        return FieldSpec(column=value)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return FieldSpec(column=tuple(value))
    if isinstance(value, Mapping):
        sub = Reader(value, r.where, r.key(name))
        sub.check_keys({"column", "transform", "default"})
        column = sub.get("column", (str, list), required=True)
        return FieldSpec(
            column=tuple(column) if isinstance(column, list) else column,
            transform=sub.get("transform", str),
            default=value.get("default"),
        )
    raise r.fail(name, "must be a column name, a list of column names, or {column, transform, default}")


def _parse_fields(r: Reader) -> FieldMap:
    r.check_keys({"id", "target", "image", "text", "options", "subtask", "cluster", "fewshot_answer", "meta",
                  "repeated_ids"})

    def one(name: str) -> FieldSpec | None:
        return _parse_field(r.data[name], r, name) if r.has(name) else None

    def table(name: str) -> dict[str, FieldSpec]:
        sub = r.sub(name)
        return {k: _parse_field(v, sub, k) for k, v in sub.data.items()} if sub else {}

    target: FieldSpec | dict[str, FieldSpec] | None = None
    if r.has("target"):
        raw_target = r.data["target"]
        if isinstance(raw_target, Mapping) and "column" not in raw_target:
            target = table("target")
        else:
            target = one("target")
    options: FieldSpec | tuple[FieldSpec, ...] | None = None
    if r.has("options"):
        raw_options = r.data["options"]
        if isinstance(raw_options, list):
            options = tuple(_parse_field(v, r, f"options[{i}]") for i, v in enumerate(raw_options))
        else:
            options = one("options")
    ident = one("id")
    if ident is None:
        raise r.fail("id", "is required: name the dataset column(s) that identify a sample (never a row number)")
    return FieldMap(
        id=ident, target=target, image=one("image"), text=table("text"), options=options,
        subtask=one("subtask"), cluster=one("cluster"), fewshot_answer=one("fewshot_answer"), meta=table("meta"),
        repeated_ids=r.choice("repeated_ids", ("error", "number"), default="error"),  # type: ignore[arg-type]
    )


_PROMPT_KEYS = {"template", "style", "system", "fewshot_template", "image_separator", "option_format",
                "option_separator"}


def _parse_prompt(r: Reader) -> PromptSpec:
    r.check_keys(_PROMPT_KEYS)
    return PromptSpec(
        template=r.get("template", str, required=True),
        style=r.choice("style", ("raw", "chat"), default="raw"),  # type: ignore[arg-type]
        system=r.get("system", str),
        fewshot_template=r.get("fewshot_template", str),
        image_separator=r.get("image_separator", str, default=""),
        option_format=r.get("option_format", str, default="{letter}. {text}"),
        option_separator=r.get("option_separator", str, default="\n"),
    )


_PROTOCOL_KEYS = {"prompt", "families", "generation", "continuation", "extractor", "scorer", "aggregation",
                  "primary_metric", "notes", "output", "fields", "fewshot"}


def _merged_fields(task_fields: Reader, override: Reader | None) -> FieldMap:
    """The task's field mapping with ``override``'s keys replacing the task's (one level deep)."""
    if override is None:
        return _parse_fields(task_fields)
    return _parse_fields(Reader({**task_fields.data, **override.data}, override.where, override.path))


def _named(r: Reader, name: str, default: str | None) -> tuple[str, dict[str, Any]]:
    """``scorer: exact_match`` or ``scorer: {name: relaxed_accuracy, args: {protocol: qwen-vl}}``."""
    value = r.data.get(name, default)
    if value is None:
        raise r.fail(name, "is required")
    if isinstance(value, str):
        return value, {}
    sub = Reader(value, r.where, r.key(name))
    sub.check_keys({"name", "args"})
    return sub.get("name", str, required=True), dict(sub.get("args", Mapping, default={}))


def _parse_protocol(r: Reader, name: str, task_output: str, task_fields: Reader) -> ProtocolSpec:
    from evalkit.scoring import registry

    r.check_keys(_PROTOCOL_KEYS)
    output = r.choice("output", ("generate", "choice"), default=task_output)
    fields_r = r.sub("fields")
    fewshot_r = r.sub("fewshot")
    prompt = _parse_prompt(r.sub("prompt", required=True))  # type: ignore[arg-type]
    families = {}
    if (fam := r.sub("families")) is not None:
        for family in fam.data:
            if family not in MODEL_FAMILIES:
                raise fam.fail(str(family), f"unknown model family; use one of {', '.join(MODEL_FAMILIES)}")
            families[family] = _parse_prompt(fam.sub(family, required=True))  # type: ignore[arg-type]
    gen = r.sub("generation") or Reader({}, r.where, r.key("generation"))
    gen.check_keys({"max_new_tokens", "min_new_tokens", "stop"})
    extractor = _named(r, "extractor", "choice_from_losses" if output == "choice" else "strip")
    scorer = _named(r, "scorer", None)
    aggregation = _named(r, "aggregation", "mean")
    for kind, (part, _) in (("extractor", extractor), ("scorer", scorer), ("aggregation", aggregation)):
        if part not in registry.known(kind):
            from evalkit.errors import did_you_mean

            raise r.fail(kind, f"unknown {kind} {part!r}{did_you_mean(part, registry.known(kind))} "
                               f"(known: {', '.join(registry.known(kind))})")
    return ProtocolSpec(
        name=name,
        prompt=prompt,
        family_prompts=families,
        max_new_tokens=gen.get("max_new_tokens", int, default=32),
        min_new_tokens=gen.get("min_new_tokens", int, default=0),
        stop=tuple(gen.get("stop", list, default=[])),
        continuation=r.get("continuation", str, default=" {letter}"),
        extractor=extractor[0], extractor_args=extractor[1],
        scorer=scorer[0], scorer_args=scorer[1],
        aggregation=aggregation[0], aggregation_args=aggregation[1],
        primary_metric=r.get("primary_metric", str),
        notes=r.get("notes", str, default=""),
        output=output,  # type: ignore[arg-type]
        fields=_merged_fields(task_fields, fields_r) if fields_r is not None else None,
        fewshot=_parse_fewshot(fewshot_r, task_fields) if fewshot_r is not None else None,
    )


def _parse_fewshot(r: Reader, task_fields: Reader) -> FewShotSpec:
    r.check_keys({"source", "seed", "max_k", "fields", "explode"})
    fields_r = r.sub("fields")
    explode = r.get("explode", list)
    return FewShotSpec(
        source=_parse_source(r.sub("source", required=True)),  # type: ignore[arg-type]
        seed=r.get("seed", int, default=1234),
        max_k=r.get("max_k", int, default=8),
        fields=_merged_fields(task_fields, fields_r) if fields_r is not None else None,
        explode=tuple(explode) if explode is not None else None,
    )
