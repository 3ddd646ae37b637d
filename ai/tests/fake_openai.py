"""A local OpenAI-compatible HTTP server for tests: the real `openai` client talks to it over HTTP.

It speaks POST /v1/chat/completions (plain and JSON mode) and POST /v1/embeddings. A test scripts
its behaviour with `server.queue(...)`: each queued reply is used once, in order ("error" with a
status, "slow" sleeping past the client's timeout, "json" with an object, "text"); without one it
answers with a default text (chat), a default JSON object (JSON mode or a JSON schema) or deterministic vectors
(embeddings). Every request body is kept in `server.requests`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeOpenAI:
    def __init__(self):
        self.requests: list[dict] = []
        self._replies: list[dict] = []
        self._lock = threading.Lock()
        self.default_text = "The filling line is cleaned with purified water and 70 % isopropyl alcohol [1]."
        self.default_json = {"findings": []}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                if self.path.endswith("/embeddings"):
                    return self._json(200, fake.embeddings(body))
                if not self.path.endswith("/chat/completions"):
                    return self._json(404, {"error": {"message": "not found"}})
                reply = fake.next_reply()
                kind = reply.get("kind", "text")
                if kind == "error":
                    headers = {"Retry-After": str(reply["retry_after"])} if "retry_after" in reply else {}
                    return self._json(
                        reply["status"], {"error": {"message": "scripted failure", "type": "server_error"}}, headers
                    )
                if kind == "slow":
                    time.sleep(reply["seconds"])
                    return self._json(200, fake.completion(body, "late answer"))
                if kind == "json":
                    return self._json(200, fake.completion(body, json.dumps(reply["value"])))
                if kind == "raw":
                    return self._json(200, fake.completion(body, reply["text"]))
                if "text" not in reply and (body.get("response_format") or {}).get("type") in ("json_object", "json_schema"):
                    return self._json(200, fake.completion(body, json.dumps(fake.default_json)))
                return self._json(200, fake.completion(body, reply.get("text", fake.default_text)))

            def _json(self, status, payload, headers=None):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def queue(self, *replies: dict) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next_reply(self) -> dict:
        with self._lock:
            return self._replies.pop(0) if self._replies else {}

    def chat_requests(self) -> list[dict]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    @staticmethod
    def completion(body: dict, text: str) -> dict:
        return {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49},
        }

    @staticmethod
    def embeddings(body: dict) -> dict:
        inputs = body.get("input") or []
        inputs = [inputs] if isinstance(inputs, str) else inputs
        data = []
        for index, text in enumerate(inputs):
            digest = hashlib.sha256(str(text).encode()).digest()
            data.append({"object": "embedding", "index": index, "embedding": [b / 255.0 - 0.5 for b in digest[:16]]})
        return {"object": "list", "data": data, "model": body.get("model"), "usage": {"prompt_tokens": 1, "total_tokens": 1}}
