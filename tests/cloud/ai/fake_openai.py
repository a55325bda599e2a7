"""An OpenAI-compatible chat completions server on 127.0.0.1 (a random port) for tests: real
HTTP for the real SDK, with scripted replies and every request recorded."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPT_TOKENS = 120
COMPLETION_TOKENS = 30


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to hold the reply (cut short when the server stops)


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.raw)  # type: ignore[no-any-return]

    @property
    def payload(self) -> dict[str, Any]:
        """The user message the provider sent: categories, known brands and products."""
        return json.loads(self.json["messages"][-1]["content"])  # type: ignore[no-any-return]


Behaviour = Callable[[Request], Reply]


def completion(content: str, model: str = "gpt-4o") -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": COMPLETION_TOKENS,
                "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS,
            },
        }
    ).encode()


def answer_for(
    request: Request,
    items: dict[str, dict[str, Any]] | None = None,
    groups: list[list[str]] | None = None,
) -> dict[str, Any]:
    """A valid answer to the request's products: their names tidied, and `items` overriding
    fields per id; `groups` proposed as duplicates."""
    products = []
    for product in request.payload["products"]:
        item: dict[str, Any] = {
            "id": product["id"],
            "clean_name": " ".join(product["name"].split()).title(),
            "brand": None,
            "variant": None,
            "size": None,
            "unit": None,
            "pack": 1,
            "category": None,
            "confidence": 0.9,
            "reason": "nombre ordenado",
        }
        item.update((items or {}).get(product["id"], {}))
        products.append(item)
    duplicates = [
        {"ids": ids, "confidence": 0.95, "reason": "misma cosa"} for ids in (groups or [])
    ]
    return {"products": products, "duplicates": duplicates}


def good(
    items: dict[str, dict[str, Any]] | None = None, groups: list[list[str]] | None = None
) -> Behaviour:
    return lambda request: Reply(body=completion(json.dumps(answer_for(request, items, groups))))


def content(text: str) -> Behaviour:
    """A completion whose message is `text`, JSON or not."""
    return lambda request: Reply(body=completion(text))


def edited(change: Callable[[dict[str, Any]], object]) -> Behaviour:
    """A valid answer changed in place by `change` before it is sent."""

    def reply(request: Request) -> Reply:
        data = answer_for(request)
        change(data)
        return Reply(body=completion(json.dumps(data)))

    return reply


def status(code: int, headers: dict[str, str] | None = None, body: Any = None) -> Behaviour:
    error = body if body is not None else {"error": {"message": f"error {code}", "type": "x"}}
    return lambda request: Reply(code, json.dumps(error).encode(), headers or {})


def slow(seconds: float) -> Behaviour:
    return lambda request: Reply(body=completion(json.dumps(answer_for(request))), delay=seconds)


class FakeOpenAI:
    """`script` is consumed one behaviour per request; once empty, `default` answers."""

    def __init__(self) -> None:
        self.script: list[Behaviour] = []
        self.default: Behaviour = good()
        self.requests: list[Request] = []
        self.released = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def then(self, *behaviours: Behaviour) -> FakeOpenAI:
        self.script.extend(behaviours)
        return self

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _reply(self, request: Request) -> Reply:
        self.requests.append(request)
        behaviour = self.script.pop(0) if self.script else self.default
        return behaviour(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/v1/chat/completions":
                    reply = Reply(404, b'{"error": {"message": "not found"}}')
                else:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    reply = fake._reply(Request(self.path, headers, raw))
                if reply.delay:
                    fake.released.wait(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply.body)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
