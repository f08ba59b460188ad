"""The judge's reply cache and client: what a reply is keyed by, what is kept, what is asked again."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.judge import load_judge
from evalkit.judge.cache import ReplyCache, reply_key
from evalkit.models.openai import ServerRejected
from tests.fake_openai_server import FakeOpenAIServer, Fault, Reply, Script, user_text

MESSAGES = [{"role": "system", "content": "judge"}, {"role": "user", "content": "rate this"}]
SETTINGS = {"temperature": 0.0, "stop": ["\n"]}
FAST = {"timeout": "0.5", "retry_backoff": "0.01", "max_retries": "1"}


def test_key_covers_model_prompt_settings_and_try_number() -> None:
    base = reply_key("gpt-4", MESSAGES, SETTINGS, 0)
    assert base == reply_key("gpt-4", [dict(m) for m in MESSAGES], dict(SETTINGS), 0)
    changed = [
        reply_key("gpt-4o", MESSAGES, SETTINGS, 0),
        reply_key("gpt-4", [MESSAGES[0], {"role": "user", "content": "rate this!"}], SETTINGS, 0),
        reply_key("gpt-4", MESSAGES, {**SETTINGS, "temperature": 0.7}, 0),
        reply_key("gpt-4", MESSAGES, {**SETTINGS, "max_tokens": 5}, 0),
        reply_key("gpt-4", MESSAGES, SETTINGS, 1),
    ]
    assert len({base, *changed}) == 6


def test_replies_survive_reopening(tmp_path: Path) -> None:
    cache = ReplyCache(tmp_path / "c")
    cache.put("k1", "gpt-4", "8 7")
    cache.put("k2", "gpt-4", "")  # an empty reply is a reply
    cache.close()
    again = ReplyCache(tmp_path / "c")
    assert again.get("k1") == "8 7" and again.get("k2") == "" and again.get("k3") is None and len(again) == 2


def test_unwritable_cache_folder_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ConfigError, match="cache_dir=A_WRITABLE_FOLDER"):
        ReplyCache(blocker / "cache")


def test_judge_asks_once_then_serves_the_cache_and_never_caches_a_failure(tmp_path: Path) -> None:
    script = Script(user_text, {"rate this": [Reply("8 7")], "down": [Fault(503)]})
    with FakeOpenAIServer(script) as server:
        judge = load_judge("openai:gpt-4", {"base_url": server.url, **FAST}, output_dir=tmp_path)
        assert judge.ask(MESSAGES, SETTINGS, 0) == "8 7"
        assert judge.ask(MESSAGES, SETTINGS, 0) == "8 7"
        assert len(server.requests()) == 1
        assert judge.ask(MESSAGES, SETTINGS, 1) == "8 7"  # another try is another question
        assert len(server.requests()) == 2
        down = [{"role": "user", "content": "down"}]
        assert judge.ask(down, SETTINGS, 0) is None  # the call failed: a spent try, nothing stored
        assert judge.ask(down, SETTINGS, 0) is None
        assert len(server.requests()) == 2 + 2 * 2  # asked again (2 requests per call with max_retries=1)
        body = server.requests()[0].body
    assert body == {"model": "gpt-4", "messages": MESSAGES, **SETTINGS}
    usage = judge.usage()
    assert usage["cache_hits"] == 1 and usage["calls"] == 4 and usage["failed_calls"] == 2
    assert judge.cache.path == tmp_path / "judge-cache" / "judge-replies.sqlite"  # beside the runs by default
    assert judge.identity() == {"name": "openai:gpt-4", "backend": "openai", "model": "gpt-4",
                                "base_url": server.url, "max_tokens": None, "cache": str(judge.cache.path)}


def test_a_rejected_judge_key_stops_instead_of_spending_tries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALKIT_BAD_KEY", "sk-bad-aaaaaaaaaaaa")
    with FakeOpenAIServer(lambda body: Reply("never"), api_key="sk-good-bbbbbbbbbbbb") as server:
        judge = load_judge("openai:gpt-4", {"base_url": server.url, "api_key_env": "EVALKIT_BAD_KEY", **FAST},
                           output_dir=tmp_path)
        with pytest.raises(ServerRejected, match="EVALKIT_BAD_KEY") as caught:
            judge.ask(MESSAGES, SETTINGS, 0)
        assert len(server.requests()) == 1
    assert "sk-bad-aaaaaaaaaaaa" not in str(caught.value) and "sk-bad" not in repr(judge)


@pytest.mark.parametrize("spec, args, message", [
    ("gpt-4o", {}, "named openai:MODEL"),
    ("hf:some/model", {}, "named openai:MODEL"),
    ("openai:", {}, "named openai:MODEL"),
    ("openai:gpt-4o", {"api_key": "sk-x"}, "api_key_env=NAME"),
    ("openai:gpt-4o", {"max_tokens": "0"}, "max_tokens must be at least 1"),
    ("openai:gpt-4o", {"cache": "x"}, "did you mean 'cache_dir'"),
])
def test_bad_judge_settings_are_explained(spec: str, args: dict[str, str], message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message):
        load_judge(spec, {"base_url": "http://127.0.0.1:9/v1", **args}, output_dir=tmp_path)
