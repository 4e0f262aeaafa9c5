"""A byte budget for streamed sources: read a source only up to its share of a run's token budget.

A milestone's plan (`pipelines.plan`) gives every source the bytes its share of the token budget needs
(`byte_budget`, a total over all tasks). Source trees draw a deterministic global subset of that size up
front (`SourceTreeReader.max_bytes`); row sources (Hugging Face streams, jsonl/parquet) cannot list what
they hold, so each of the N tasks stops once it has yielded `ceil(byte_budget / N)` bytes of text. A task
overshoots by at most its last document (a hydrated batch is fetched before its sizes are known, so a
hydrating task may fetch up to one batch more than it yields).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator

from datatrove.data import Document


def task_share(byte_budget: int | None, world_size: int) -> int | None:
    """Bytes one of `world_size` tasks may read of a `byte_budget` total (None: no budget)."""
    if byte_budget is None:
        return None
    if byte_budget < 0:
        raise ValueError(f"byte_budget must be >= 0, got {byte_budget}")
    return math.ceil(byte_budget / max(1, world_size))


def within_budget(
    docs: Iterable[Document], budget: int | None, on_stop: Callable[[int], None] | None = None
) -> Iterator[Document]:
    """`docs` until `budget` bytes of UTF-8 text have been yielded; then closes `docs` (stops reading)
    and calls `on_stop(bytes_read)`. No budget: every document."""
    if budget is None:
        yield from docs
        return
    read = 0
    it = iter(docs)
    try:
        if budget <= 0:
            return
        for doc in it:
            read += len(doc.text.encode("utf-8", "surrogatepass"))
            yield doc
            if read >= budget:  # checked after the yield: never pulls (reads, fetches) one document more
                if on_stop is not None:
                    on_stop(read)
                return
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()
