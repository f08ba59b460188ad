"""Talking to OpenAI-compatible chat-completions servers: connection options, the HTTP client
(concurrency, retries, token counts) and the rendering of prompts as chat messages.

Used by the ``openai:NAME`` model backend (``evalkit.models.openai_chat``) and by the LLM judge
(``evalkit.judge``).
"""

from evalkit.models.openai.client import (
    ChatClient,
    ChatReply,
    RequestFailed,
    ServerRejected,
    ServerUnreachable,
    Usage,
)
from evalkit.models.openai.options import ApiKey, ClientOptions, split_args

__all__ = ["ApiKey", "ChatClient", "ChatReply", "ClientOptions", "RequestFailed", "ServerRejected",
           "ServerUnreachable", "Usage", "split_args"]
