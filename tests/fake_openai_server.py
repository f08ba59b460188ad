"""A real HTTP server on 127.0.0.1 (an ephemeral port) speaking the OpenAI chat-completions API.

Tests script what it answers: a responder maps each request body to an action, a ``Reply``
(honouring ``stop`` as OpenAI does: the reply ends before the first stop string), an HTTP
``Fault`` (429, 500, 401, …), a ``Stall`` (no answer until the client has timed out) or a
``Malformed`` body. Every request is recorded, with its Authorization header, and the server
tracks how many requests it held at once. It refuses to serve more than ``max_requests``, so a
runaway retry loop fails the test instead of hanging it.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from PIL import Image


@dataclass(frozen=True)
class Reply:
    content: str
    prompt_tokens: int = 11
    completion_tokens: int = 7
    delay: float = 0.0


@dataclass(frozen=True)
class Fault:
    status: int
    message: str = "injected fault"
    retry_after: float | None = None


@dataclass(frozen=True)
class Stall:
    seconds: float


@dataclass(frozen=True)
class Malformed:
    body: str = '{"choices": [ this is not json'


Action = Reply | Fault | Stall | Malformed
Responder = Callable[[dict[str, Any]], Action]


@dataclass
class Seen:
    body: dict[str, Any]
    authorization: str | None
    action: Action
    at: float = field(default_factory=time.monotonic)

    @property
    def model(self) -> str:
        return str(self.body.get("model"))


class FakeOpenAIServer:
    def __init__(self, responder: Responder, *, api_key: str | None = None, max_requests: int = 400) -> None:
        self.responder = responder
        self.api_key = api_key
        self.max_requests = max_requests
        self.seen: list[Seen] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-openai", daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/v1"

    def requests(self, model: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if model is None or s.model == model]

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _decide(self, body: dict[str, Any], authorization: str | None) -> Action:
        with self._lock:
            if len(self.seen) >= self.max_requests:
                action: Action = Fault(500, "fake server: request budget exhausted (a retry loop ran away)")
            elif self.api_key is not None and authorization != f"Bearer {self.api_key}":
                # like OpenAI, echo part of what was sent, so that tests see the client redact it
                sent = (authorization or "").removeprefix("Bearer ")
                action = Fault(401, f"Incorrect API key provided: {sent}")
            else:
                action = None  # type: ignore[assignment]
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        if action is None:
            action = self.responder(body)
        with self._lock:
            self.seen.append(Seen(body, authorization, action))
        return action

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            body = json.loads(raw)
            action = server._decide(body, self.headers.get("Authorization"))
            try:
                self._act(action, body)
            finally:
                server._done()

        def _act(self, action: Action, body: dict[str, Any]) -> None:
            if isinstance(action, Stall):
                time.sleep(action.seconds)
                self.close_connection = True  # the client has given up; drop the request unanswered
                return
            if isinstance(action, Fault):
                headers = {} if action.retry_after is None else {"Retry-After": f"{action.retry_after:g}"}
                self._send(action.status, {"error": {"message": action.message, "type": "injected"}}, headers)
                return
            if isinstance(action, Malformed):
                self._send_raw(200, action.body.encode())
                return
            time.sleep(action.delay)
            content = _apply_stop(action.content, body.get("stop"))
            self._send(200, {
                "id": "chatcmpl-fake", "object": "chat.completion", "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": action.prompt_tokens, "completion_tokens": action.completion_tokens,
                          "total_tokens": action.prompt_tokens + action.completion_tokens},
            })

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send_raw(status, json.dumps(payload).encode(), headers)

        def _send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def _apply_stop(content: str, stop: Any) -> str:
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    cut = min((content.find(s) for s in stops if s and s in content), default=-1)
    return content if cut < 0 else content[:cut]


class Script:
    """Actions per request key, served in order (the last one repeats); ``default`` for other keys."""

    def __init__(self, key: Callable[[dict[str, Any]], str], actions: dict[str, list[Action]],
                 default: Responder | None = None) -> None:
        self.key = key
        self.actions = {k: list(v) for k, v in actions.items()}
        self.default = default
        self.served: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Action:
        key = self.key(body)
        with self._lock:
            if key not in self.actions:
                if self.default is None:
                    raise KeyError(f"no scripted action for {key!r}")
                return self.default(body)
            n = self.served.get(key, 0)
            self.served[key] = n + 1
            actions = self.actions[key]
            return actions[min(n, len(actions) - 1)]

    def replace(self, key: str, actions: list[Action]) -> None:
        with self._lock:
            self.actions[key] = list(actions)
            self.served[key] = 0


def user_text(body: dict[str, Any]) -> str:
    """The text of the last user message (text parts joined)."""
    content = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
    if isinstance(content, str):
        return content
    return "".join(p["text"] for p in content if p["type"] == "text")


def user_images(body: dict[str, Any]) -> list[Image.Image]:
    """The images of the last user message, decoded from their data URLs."""
    content = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
    if isinstance(content, str):
        return []
    out = []
    for part in content:
        if part["type"] == "image_url":
            header, _, data = part["image_url"]["url"].partition(",")
            assert header == "data:image/png;base64", header
            out.append(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))
    return out


def judge_query_parts(body: dict[str, Any]) -> dict[str, str]:
    """Description, question and the two answers of a TouchStone judge query."""
    text = user_text(body)

    def between(start: str, end: str) -> str:
        return text.split(start, 1)[1].split(end, 1)[0]

    return {
        "description": between("[Detailed Image Description]\n", "\n\n[Question]"),
        "question": between("[Question]\n", "\n\n[The Start of Assistant 1's Answer]"),
        "answer_1": between("[The Start of Assistant 1's Answer]\n", "\n\n[The End of Assistant 1's Answer]"),
        "answer_2": between("[The Start of Assistant 2's Answer]\n", "\n\n[The End of Assistant 2's Answer]"),
    }
