"""Generation against any OpenAI-compatible server (vLLM, SGLang, llama.cpp's server, `transformers serve`),
built on datatrove's inference runner (`datatrove.pipeline.inference.run_inference.InferenceRunner`).

The runner gives us what a data stage needs: bounded concurrency, a per-request cache (sqlite) and output
checkpoints so a killed task resumes without paying twice, completion markers so a finished stage is
skipped on a rerun, stats, and the same local/Slurm executors as every other stage. What we change, and why:

- `OpenAIEndpoint` (the server side): an `httpx` client with a per-request timeout and an API key. datatrove's
  `EndpointServer` has no timeout on localhost (a stalled server hangs the task) and needs `openai` elsewhere.
- `SynthInferenceRunner._send_request` (the retry policy): datatrove's waits 5 s x 2^attempt over 6 tries
  and aborts the whole task on an HTTP 500 or a response without `choices`. Ours retries connection errors,
  timeouts, 429 and 5xx with a configurable exponential backoff, then raises `RequestFailed` with a stable
  reason (`failed_request` or `malformed_response`) that the rollout records as a counted drop.
- a tqdm bar with ETA over the documents of the task, and token accounting per request.

A server that cannot be reached at all is found before the stage starts (`wait_for_server`) and reported
in one line; one that goes away mid-run gives `failed_request` drops after the retries.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from typing import Any

from datatrove.data import Document
from datatrove.pipeline.inference.run_inference import InferenceConfig, InferenceRunner
from datatrove.pipeline.inference.servers.base import InferenceServer
from datatrove.pipeline.inference.types import InferenceResult

RETRY_STATUS = (408, 409, 425, 429, 500, 502, 503, 504)


@dataclass(frozen=True, kw_only=True)
class ClientConfig:
    endpoint: str  # base URL of the server, e.g. http://127.0.0.1:8000 (a trailing /v1 is accepted)
    model: str
    concurrency: int = 8  # requests in flight
    max_retries: int = 4  # retries after the first try
    backoff_s: float = 2.0  # wait before retry k: backoff_s * 2**k (+ up to 25% jitter)
    request_timeout_s: float = 300.0
    ready_timeout_s: float = 30.0  # how long the server may take to answer GET /v1/models
    api_key: str | None = None
    # or the environment variable holding it, read where the request is made: a Slurm job's pickled
    # pipeline then holds the variable's name, not the key
    api_key_env: str | None = None
    generation: dict[str, Any] = field(default_factory=lambda: {"temperature": 0.8, "max_tokens": 2048})

    @property
    def key(self) -> str | None:
        import os

        return self.api_key or (os.environ.get(self.api_key_env) if self.api_key_env else None) or None

    @property
    def base_url(self) -> str:
        url = self.endpoint.rstrip("/")
        return url.removesuffix("/v1")


class RequestFailed(Exception):
    """A request that still failed after the retries; `reason` is a stable drop reason."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class ServerUnavailable(ConnectionError):
    """No OpenAI-compatible server answers at the endpoint."""


def wait_for_server(client: ClientConfig) -> None:
    """Block until GET /v1/models answers 200, at most `ready_timeout_s`; else `ServerUnavailable`."""
    import time

    import httpx

    url = f"{client.base_url}/v1/models"
    headers = {"Authorization": f"Bearer {client.key}"} if client.key else {}
    deadline = time.monotonic() + client.ready_timeout_s
    while True:
        try:
            r = httpx.get(url, headers=headers, timeout=5.0)
            if r.status_code == 200:
                return
            why = f"HTTP {r.status_code}: {r.text[:200]}"
        except httpx.HTTPError as e:
            why = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise ServerUnavailable(
                f"no OpenAI-compatible server answers GET {url} within {client.ready_timeout_s:g}s ({why})"
            )
        time.sleep(1.0)


class _Retryable(ConnectionError):
    pass


class _Malformed(ValueError):
    pass


def parse_chat_response(body: bytes) -> dict:
    """The parts of an OpenAI chat completion we use; `_Malformed` when the body is not one."""
    try:
        data = json.loads(body)
        choice = data["choices"][0]
        message = choice["message"]
        text = message.get("content")
        if not isinstance(text, str):
            raise TypeError("message.content is not a string")
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise _Malformed(f"{type(e).__name__}: {e}; body starts {body[:120]!r}") from e
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return {
        "text": text,
        "reasoning": message.get("reasoning") or message.get("reasoning_content") or "",
        "finish_reason": choice.get("finish_reason") or "",
        "usage": {k: int(usage.get(k) or 0) for k in ("prompt_tokens", "completion_tokens")},
    }


class OpenAIEndpoint(InferenceServer):
    """An external OpenAI-compatible server: nothing to start, readiness by GET /v1/models."""

    def __init__(self, config: InferenceConfig, rank: int, client: ClientConfig):
        super().__init__(config, rank)
        self.client_cfg = client
        self._http = None

    def _headers(self) -> dict[str, str]:
        key = self.client_cfg.key
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def start_server(self) -> None:
        return None

    async def monitor_health(self) -> None:
        await asyncio.Future()  # an external server: nothing to watch

    def get_base_url(self) -> str:
        return self.client_cfg.base_url

    async def is_ready(self) -> bool:
        import httpx

        try:
            async with httpx.AsyncClient() as c:
                r = await c.get(f"{self.get_base_url()}/v1/models", headers=self._headers(), timeout=5.0)
            return r.status_code == 200
        except Exception:
            return False

    async def _wait_until_ready(self, max_attempts: int = 0, delay_sec: float = 1.0) -> None:
        attempts = max(1, int(self.client_cfg.ready_timeout_s / delay_sec))
        await super()._wait_until_ready(max_attempts=attempts, delay_sec=delay_sec)

    async def _make_request(self, payload: dict) -> dict:
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.client_cfg.request_timeout_s)
        try:
            r = await self._http.post(
                f"{self.get_base_url()}/v1/chat/completions", json=payload, headers=self._headers()
            )
        except httpx.TimeoutException as e:
            raise TimeoutError(f"no answer within {self.client_cfg.request_timeout_s:g}s") from e
        except httpx.HTTPError as e:
            raise ConnectionError(f"{type(e).__name__}: {e}") from e
        if r.status_code in RETRY_STATUS:
            raise _Retryable(f"HTTP {r.status_code}: {r.text[:200]}")
        if r.status_code != 200:
            raise RequestFailed("failed_request", f"HTTP {r.status_code}: {r.text[:300]}")
        return parse_chat_response(r.content)

    async def server_cleanup(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await super().server_cleanup()


class SynthInferenceRunner(InferenceRunner):
    """datatrove's runner with our endpoint, retry policy, drop reasons and progress bar."""

    name = "🧪 synthetic generation"

    def __init__(self, rollout_fn, client: ClientConfig, output_writer, *, total: int | None = None, **kw):
        config = InferenceConfig(
            server_type="endpoint",
            endpoint_url=client.base_url,
            model_name_or_path=client.model,
            max_concurrent_generations=client.concurrency,
            metric_interval=600,
            server_start_max_retries=0,  # an external server: waiting again does not start it
        )
        super().__init__(rollout_fn, config, output_writer, **kw)
        self.client = client
        self.total = total
        self._bar = None

    def _init_server(self, rank: int) -> InferenceServer:
        return OpenAIEndpoint(self.config, rank, self.client)

    async def _send_request(self, server, payload: dict, semaphore: asyncio.Semaphore) -> InferenceResult:
        payload = {**self.client.generation, **payload, "model": self.client.model}
        last_reason, last_detail = "failed_request", ""
        for attempt in range(self.client.max_retries + 1):
            try:
                async with semaphore:
                    out = await asyncio.wait_for(server.make_request(payload), self.client.request_timeout_s)
                usage = out["usage"]
                self.stat_update("prompt_tokens", value=usage["prompt_tokens"], unit="request")
                self.stat_update("completion_tokens", value=usage["completion_tokens"], unit="request")
                self.stat_update("successful_requests", unit="request")
                return InferenceResult(
                    text=out["text"],
                    finish_reason=out["finish_reason"],
                    usage=usage,
                    reasoning=out["reasoning"],
                )
            except _Malformed as e:
                last_reason, last_detail = "malformed_response", str(e)
            except (ConnectionError, OSError, asyncio.TimeoutError) as e:
                last_reason, last_detail = "failed_request", f"{type(e).__name__}: {e}"
            self.stat_update("retried_requests", unit="request")
            if attempt < self.client.max_retries:
                delay = self.client.backoff_s * 2**attempt
                await asyncio.sleep(delay * (1 + 0.25 * random.random()))
        self.stat_update(f"dropped_{last_reason}", unit="request")
        raise RequestFailed(last_reason, f"after {self.client.max_retries + 1} tries: {last_detail}")

    async def _handle_record(self, doc: Document, *args, **kwargs) -> None:
        await super()._handle_record(doc, *args, **kwargs)
        if self._bar is not None:
            self._bar.update(1)

    def run(self, data, rank: int = 0, world_size: int = 1):
        from tqdm import tqdm

        # one clear line when nothing answers at the endpoint (datatrove's says "failed to start server")
        wait_for_server(self.client)
        self._bar = tqdm(total=self.total, desc=f"generate (task {rank})", unit="doc", smoothing=0.1)
        try:
            return super().run(data, rank, world_size)
        finally:
            self._bar.close()
            self._bar = None


async def chat_rollout(doc: Document, generate) -> dict:
    """One chat request per document (`metadata["messages"]`): the answer, or the reason it failed."""
    try:
        r = await generate({"messages": doc.metadata["messages"]})
    except RequestFailed as e:
        return {"status": e.reason, "detail": e.detail[:500]}
    return {
        "status": "ok",
        "text": r.text,
        "reasoning": r.reasoning,
        "finish_reason": r.finish_reason,
        "usage": r.usage,
    }
