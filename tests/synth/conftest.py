"""Fixtures of the synthetic-data tests, and `ScriptedServer`: a real HTTP server on loopback that answers
OpenAI chat requests from a script: canned answers, or the faults of a bad server (garbage bodies, HTTP
500/503, answers slower than the client's timeout). It speaks the protocol over real sockets (the client
code under test is unchanged); `test_real_server.py` runs a real model server."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _sandbox_policy(trusted_programs):
    """The programs these tests run are ours (see `trusted_programs` in tests/conftest.py)."""
    yield


@pytest.fixture(autouse=True)
def _eval_sets_offline(monkeypatch):
    """Decontamination is on by default and reads HumanEval-C++ / HumanEvalFix-C++ from the Hugging Face Hub;
    the tests have no network, so the defaults point at the local mini copies in the same layouts."""
    from cppllm.synth import decontam

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "eval"
    monkeypatch.setitem(decontam.DEFAULT_SOURCES, "humaneval", str(fixtures / "humaneval-cpp-mini.jsonl"))
    monkeypatch.setitem(
        decontam.DEFAULT_SOURCES, "humanevalfix", str(fixtures / "humanevalpack-cpp-mini.jsonl")
    )


class ScriptedServer:
    """`answer(request_json, n)` -> (status, body bytes, delay seconds) for the n-th chat request."""

    def __init__(self, answer: Callable[[dict, int], tuple[int, bytes, float]]):
        self.answer = answer
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []  # the HTTP headers of each chat request
        self.in_flight = self.max_in_flight = 0  # concurrent requests the server saw
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def do_GET(self):
                self._send(200, b'{"object": "list", "data": [{"id": "scripted"}]}')

            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.requests.append(req)
                    server.headers.append(dict(self.headers))
                    n = len(server.requests)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                status, body, delay = server.answer(req, n)
                time.sleep(delay)
                with server._lock:
                    server.in_flight -= 1
                self._send(status, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted_server():
    """`scripted_server(answer)` -> a started `ScriptedServer` (closed after the test)."""
    started = []

    def make(answer):
        s = ScriptedServer(answer).__enter__()
        started.append(s)
        return s

    yield make
    for s in started:
        s.__exit__(None, None, None)
