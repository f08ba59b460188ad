"""The ``openai:NAME`` backend: prompts as chat messages with data-URL images, batches, and a
model served by a local server going end to end through ``evalkit run``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from evalkit.data.images import LazyImage
from evalkit.errors import ConfigError, ModelLoadError
from evalkit.models.base import (
    GenerateRequest,
    GenerationSettings,
    LoglikelihoodRequest,
    Model,
    ReportsUsage,
)
from evalkit.models.openai import RequestFailed
from evalkit.models.registry import load_model
from evalkit.prompts.types import ImagePart, Prompt, TextPart, Turn
from tests.e2e_support import COLORS, evalkit_cmd, make_task
from tests.fake_openai_server import (
    FakeOpenAIServer,
    Fault,
    Reply,
    Script,
    user_images,
    user_text,
)

SECRET = "sk-served-model-5e1f0c9d7b3a"
FAST = {"timeout": "2", "retry_backoff": "0.01", "max_retries": "2"}


def png_image(color: tuple[int, int, int], key: str) -> LazyImage:
    buf = io.BytesIO()
    image = Image.new("RGB", (8, 6), color)
    image.putpixel((1, 1), (1, 2, 3))
    image.save(buf, "PNG")
    return LazyImage(key, buf.getvalue())


def echo(body: dict[str, Any]) -> Reply:
    return Reply(f"  echo: {user_text(body)}  ", prompt_tokens=5, completion_tokens=2)


def test_registry_loads_the_backend_with_its_identity() -> None:
    model = load_model("openai:served-vlm", base_url="http://127.0.0.1:9/v1", temperature="0.5", seed="7")
    assert isinstance(model, Model) and isinstance(model, ReportsUsage)
    assert model.family == "chat"
    identity = model.identity()
    assert identity.name == "openai:served-vlm" and identity.backend == "openai"
    assert identity.source == "http://127.0.0.1:9/v1"
    assert identity.extra == {"temperature": 0.5, "seed": 7, "min_tokens": "send"}


@pytest.mark.parametrize("args, message", [
    ({"family": "llava"}, "family must be one of"),
    ({"min_tokens": "maybe"}, "min_tokens must be send or drop"),
    ({"device": "cuda"}, "--device does not apply"),
    ({"dtype": "bf16"}, "unknown argument 'dtype'"),
])
def test_bad_model_args_are_explained(args: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_model("openai:m", base_url="http://127.0.0.1:9/v1", **args)
    with pytest.raises(ModelLoadError, match="needs the served model's name"):
        load_model("openai:", base_url="http://127.0.0.1:9/v1")


def test_prompt_becomes_messages_with_png_data_urls_and_settings() -> None:
    image = png_image((200, 30, 60), "img/0")
    chat = Prompt(turns=(Turn("user", (TextPart("Hi"),)), Turn("assistant", (TextPart("Hello."),)),
                         Turn("user", (ImagePart(image), TextPart("What colour?")))),
                  style="chat", system="Be brief.")
    raw = Prompt.raw(TextPart("no image here"))
    with FakeOpenAIServer(echo) as server:
        model = load_model("openai:vlm", base_url=server.url, min_tokens="send", **FAST)
        settings = GenerationSettings(max_new_tokens=12, min_new_tokens=3, stop=("\n\n",))
        out = model.generate([GenerateRequest(chat, settings), GenerateRequest(raw)])
        bodies = {user_text(s.body): s.body for s in server.requests()}
    assert [r.text for r in out] == ["echo: What colour?", "echo: no image here"]  # stripped
    assert (out[0].prompt_tokens, out[0].output_tokens) == (5, 2)
    chat_body = bodies["What colour?"]
    assert chat_body["model"] == "vlm" and chat_body["temperature"] == 0.0
    assert chat_body["max_tokens"] == 12 and chat_body["min_tokens"] == 3 and chat_body["stop"] == ["\n\n"]
    messages = chat_body["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[0]["content"] == "Be brief." and messages[1]["content"] == "Hi"
    assert [p["type"] for p in messages[3]["content"]] == ["image_url", "text"]
    (decoded,) = user_images(chat_body)
    assert decoded.tobytes() == image.load().tobytes()  # lossless, pixel for pixel
    raw_body = bodies["no image here"]
    assert raw_body["messages"] == [{"role": "user", "content": "no image here"}]
    assert "min_tokens" not in raw_body and "stop" not in raw_body and "seed" not in raw_body
    assert model.usage()["prompt_tokens"] == 10  # type: ignore[attr-defined]


def test_min_tokens_can_be_dropped_and_seed_sent() -> None:
    with FakeOpenAIServer(echo) as server:
        model = load_model("openai:vlm", base_url=server.url, min_tokens="drop", seed="3", **FAST)
        model.generate([GenerateRequest(Prompt.raw(TextPart("x")), GenerationSettings(min_new_tokens=8))])
        (seen,) = server.requests()
    assert "min_tokens" not in seen.body and seen.body["seed"] == 3


def test_a_failed_request_fails_the_batch_but_answers_are_not_bought_twice() -> None:
    script = Script(user_text, {"bad": [Fault(400, "refused")]}, default=echo)
    requests = [GenerateRequest(Prompt.raw(TextPart(t))) for t in ("a", "bad", "c")]
    with FakeOpenAIServer(script) as server:
        model = load_model("openai:vlm", base_url=server.url, **FAST)
        with pytest.raises(RequestFailed, match="refused"):
            model.generate(requests)
        assert len(server.requests()) == 3
        # the runner then asks one sample at a time: served from the failed batch's outcomes
        assert model.generate([requests[0]])[0].text == "echo: a"
        with pytest.raises(RequestFailed):
            model.generate([requests[1]])
        assert model.generate([requests[2]])[0].text == "echo: c"
        assert len(server.requests()) == 3
        model.generate([requests[0]])  # a later call asks the server again
        assert len(server.requests()) == 4


def test_likelihood_scoring_is_refused_with_the_way_out() -> None:
    model = load_model("openai:vlm", base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="--protocol generate"):
        model.loglikelihood([LoglikelihoodRequest(Prompt.raw(TextPart("Q")), (" A", " B"))])


def colour_answerer(body: dict[str, Any]) -> Reply:
    """Answers e2e_vqa's questions from the pixels it was sent: the image must arrive intact."""
    question = user_text(body)
    if "Is there a square?" in question:
        return Reply("Yes")
    (image,) = user_images(body)
    corner = image.getpixel((image.width - 1, image.height - 1))
    named = {name: Image.new("RGB", (1, 1), name).getpixel((0, 0)) for name in COLORS}
    return Reply(next(name for name, rgb in named.items() if rgb == corner))


def test_served_model_end_to_end_through_evalkit_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tasks, data = make_task(tmp_path, n_images=4)
    failed_once: set[str] = set()

    def flaky(body: dict[str, Any]) -> Fault | Reply:  # every request's first try hits a 500
        key = json.dumps(body, sort_keys=True)
        if key not in failed_once:
            failed_once.add(key)
            return Fault(500, "warming up")
        return colour_answerer(body)

    monkeypatch.setenv("EVALKIT_SERVED_KEY", SECRET)
    with FakeOpenAIServer(flaky, api_key=SECRET) as server:
        out = evalkit_cmd("run", "--tasks", "e2e_vqa", "--model", "openai:colour-vlm", "--model-args",
                          f"base_url={server.url},api_key_env=EVALKIT_SERVED_KEY,retry_backoff=0.01,concurrency=3",
                          "--data-dir", str(data), "--output-dir", str(tmp_path / "results"), "--batch-size", "8",
                          tasks_dir=tasks, timeout=120)
        seen = server.requests()
    assert out.returncode == 0, out.stderr
    assert len(seen) == 16 and all(s.authorization == f"Bearer {SECRET}" for s in seen)
    (run,) = [p.parent for p in (tmp_path / "results").glob("*/*/run.json")]
    scores = json.loads((run / "scores.json").read_text())["tasks"]["e2e_vqa"]
    assert scores["n"] == 8 and scores["n_failed"] == 0
    assert scores["metrics"]["exact_match"]["value"] == 100.0  # every colour read from the sent pixels
    info = json.loads((run / "run.json").read_text())
    assert info["model"]["identity"]["backend"] == "openai" and info["model"]["identity"]["source"] == server.url
    assert info["usage"]["model"] == {"calls": 8, "requests": 16, "retries": 8, "failed_calls": 0,
                                      "prompt_tokens": 88, "completion_tokens": 56}
    assert info["usage"]["judge"] is None and info["judge"] is None
    everything = out.stdout + out.stderr + "".join(p.read_text() for p in run.rglob("*") if p.is_file())
    assert SECRET not in everything and "EVALKIT_SERVED_KEY" in everything  # the variable's name, not its value
