"""The OpenAI-compatible client against a real local HTTP server: retries, failures, limits, keys."""

from __future__ import annotations

import threading

import pytest

from evalkit.errors import ConfigError
from evalkit.models.openai import (
    ChatClient,
    RequestFailed,
    ServerRejected,
    ServerUnreachable,
    split_args,
)
from tests.fake_openai_server import FakeOpenAIServer, Fault, Malformed, Reply, Stall

SECRET = "sk-test-7f3a9c1e5b2d4f6a8c0e"
FAST = {"timeout": "0.3", "retry_backoff": "0.01"}


def client_for(server: FakeOpenAIServer, **args: str) -> ChatClient:
    options, _ = split_args({"base_url": server.url, **FAST, **args}, (), "--model-args")
    return ChatClient(options)


def body(text: str = "hello") -> dict[str, object]:
    return {"model": "m", "messages": [{"role": "user", "content": text}]}


def sequence(*actions):  # the actions in order, the last one repeating
    served = []
    lock = threading.Lock()

    def respond(_: dict[str, object]):
        with lock:
            served.append(1)
            return actions[min(len(served) - 1, len(actions) - 1)]

    return respond


def test_retries_429_500_timeout_and_malformed_then_counts_tokens_of_the_answer() -> None:
    actions = (Fault(429, retry_after=0), Fault(500), Stall(0.8), Malformed(), Fault(503), Reply("fine", 20, 3))
    with FakeOpenAIServer(sequence(*actions)) as server:
        client = client_for(server, max_retries="5")
        reply = client.complete(body())
        assert reply.text == "fine" and reply.prompt_tokens == 20 and reply.completion_tokens == 3
        assert [type(s.action).__name__ for s in server.requests()] == [
            "Fault", "Fault", "Stall", "Malformed", "Fault", "Reply"]
    usage = client.usage()
    assert (usage.calls, usage.requests, usage.retries, usage.failed_calls) == (1, 6, 5, 0)
    assert (usage.prompt_tokens, usage.completion_tokens) == (20, 3)


def test_gives_up_after_max_retries_and_says_why() -> None:
    with FakeOpenAIServer(sequence(Fault(500, "overloaded"))) as server:
        client = client_for(server, max_retries="2")
        with pytest.raises(RequestFailed, match=r"after 3 tries.*HTTP 500: overloaded"):
            client.complete(body())
        assert len(server.requests()) == 3
    assert client.usage().failed_calls == 1


def test_a_server_that_cannot_be_reached_stops_the_run_with_a_hint() -> None:
    with FakeOpenAIServer(sequence(Reply("ok"))) as server:
        url = server.url  # the port is free again once the server is gone
    options, _ = split_args({"base_url": url, **FAST, "max_retries": "2"}, (), "--model-args")
    with pytest.raises(ServerUnreachable, match=r"cannot connect to http://127.0.0.1:\d+/v1 \(tried 3 times\)"):
        ChatClient(options).complete(body())


def test_retry_after_header_is_honoured() -> None:
    with FakeOpenAIServer(sequence(Fault(429, retry_after=0.4), Reply("ok"))) as server:
        client_for(server).complete(body())
        first, second = server.requests()
        assert second.at - first.at >= 0.35


def test_request_refused_as_malformed_is_not_retried() -> None:
    with FakeOpenAIServer(sequence(Fault(400, "maximum context length exceeded"))) as server:
        with pytest.raises(RequestFailed, match="HTTP 400.*maximum context length"):
            client_for(server).complete(body())
        assert len(server.requests()) == 1


def test_wrong_key_stops_at_once_and_the_key_never_shows() -> None:
    wrong = "sk-wrong-0123456789abcdef"
    with FakeOpenAIServer(sequence(Reply("never")), api_key=SECRET) as server, pytest.MonkeyPatch.context() as mp:
        mp.setenv("EVALKIT_TEST_KEY", wrong)
        client = client_for(server, api_key_env="EVALKIT_TEST_KEY")
        with pytest.raises(ServerRejected) as caught:
            client.complete(body())
        assert len(server.requests()) == 1
        assert server.requests()[0].authorization == f"Bearer {wrong}"
    message = str(caught.value)
    assert "HTTP 401" in message and "EVALKIT_TEST_KEY" in message
    assert wrong not in message and "***" in message  # the server echoed the key; the client redacted it
    assert wrong not in repr(client) and wrong not in repr(client.options)


def test_unknown_model_stops_with_a_hint() -> None:
    with FakeOpenAIServer(sequence(Fault(404, "The model `nope` does not exist"))) as server, \
            pytest.raises(ServerRejected, match="no model 'm'.*check the model name"):
        client_for(server).complete(body())


def test_right_key_is_sent_and_no_key_without_api_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVALKIT_TEST_KEY", SECRET)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak-to-other-servers")
    with FakeOpenAIServer(sequence(Reply("ok"))) as server:
        client_for(server, api_key_env="EVALKIT_TEST_KEY").complete(body())
        client_for(server).complete(body())
        keyed, anonymous = server.requests()
    assert keyed.authorization == f"Bearer {SECRET}"
    assert anonymous.authorization is None


def test_concurrency_limit_holds_at_the_server() -> None:
    with FakeOpenAIServer(sequence(Reply("ok", delay=0.15))) as server:
        client = client_for(server, concurrency="2")
        results = client.map(lambda i: client.complete(body(str(i))), list(range(6)))
        assert all(r.text == "ok" for r in results)  # type: ignore[union-attr]
        assert server.max_in_flight == 2


def test_map_returns_failures_in_place_but_raises_a_rejection() -> None:
    def respond(b: dict[str, object]):
        text = b["messages"][0]["content"]  # type: ignore[index]
        return Fault(400, "bad") if text == "1" else Reply(f"answer {text}")

    with FakeOpenAIServer(respond) as server:
        client = client_for(server)
        out = client.map(lambda i: client.complete(body(str(i))), [0, 1, 2])
        assert out[0].text == "answer 0" and isinstance(out[1], RequestFailed) and out[2].text == "answer 2"  # type: ignore[union-attr]
    with FakeOpenAIServer(sequence(Fault(401, "no"))) as server:
        client = client_for(server)
        with pytest.raises(ServerRejected):
            client.map(lambda i: client.complete(body(str(i))), [0, 1])


@pytest.mark.parametrize("args, message", [
    ({"api_key": SECRET}, "api_key_env=NAME"),
    ({"timeout": "soon"}, "timeout must be a number"),
    ({"concurrency": "0"}, "concurrency must be at least 1"),
    ({"max_retries": "1.5"}, "max_retries must be a whole number"),
    ({"base_url": "localhost:8000"}, "must be an http"),
    ({"base_url": "http://user:pw@host/v1"}, "must not carry credentials"),
    ({"concurency": "2"}, "did you mean 'concurrency'"),
])
def test_bad_arguments_are_explained(args: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        split_args({"base_url": "http://127.0.0.1:1/v1", **args}, (), "--model-args")
    assert SECRET not in str(caught.value)


def test_missing_key_variable_is_named_not_guessed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALKIT_ABSENT_KEY", raising=False)
    options, _ = split_args({"base_url": "http://127.0.0.1:1/v1", "api_key_env": "EVALKIT_ABSENT_KEY"}, (), "x")
    with pytest.raises(ConfigError, match="EVALKIT_ABSENT_KEY is not set"):
        ChatClient(options)


def test_hosted_default_reads_openai_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    options, _ = split_args({}, (), "--judge-args")
    assert options.base_url == "https://api.openai.com/v1" and options.api_key_env == "OPENAI_API_KEY"
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    key = options.api_key()
    assert key is not None and key.reveal() == SECRET and SECRET not in repr(key) and SECRET not in str(key)
