"""BPE over counted id sequences, with pairs ranked by how widely the training projects use them.

Classic BPE (Sennrich et al., arXiv:1508.07909) merges the most frequent adjacent pair, again and again.
On a corpus of many projects the most frequent pairs include each project's own names and boilerplate
(`ASSERT_EQUALS("", errout.str());`, `LADSPA_Data`, a license line): counted over all projects they win
slots that code of a project never seen will not use. Here a pair's score is its count in every project
but the one where it is most frequent (:func:`spread_score`, leave the top project out): a cheap estimate of
how often a new project will use it. With one project in the sample the score is the plain count.

The tokenizer runs this BPE twice (`train.py`): for stage 1 after its first tokens (the Rust trainer of HF
`tokenizers` learns the first :data:`SPREAD_FROM`, which are generic byte pairs in any project and most of
the training time), over the C++ regex's pieces; and for the superwords (`superbpe.py`), over chunks of
lines. The units are counted per project and encoded with the vocabulary learned so far, *whole*, as the
finished tokenizer will encode them (:func:`unit_counts`), so each stage learns from the ids it will see.

Measured on the dev projects of `benchmarks/bench_tokenizer_corpus.py` (32K tokens, 8,000 superwords;
README): superwords by plain count 3.979 bytes/token, ranked by spread 4.039 (+1.5%); stage 1 ranked by
spread after its first 4,000 tokens 4.112 (+1.8% more). Of the superwords learned by plain count, 29% took
over 80% of their uses in the training sample from one project.

:func:`extend` returns a tokenizer whose merge list is the vocabulary's closure (:func:`closure_merges`), so
HF `tokenizers` and the tiktoken engine (rank = id) give the same ids, and `decode(encode(x)) == x` holds.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from collections.abc import Iterable

from tqdm import tqdm

from cppllm.tokenizer.tokenizer import CppTokenizer, _byte_decoder

SPREAD_FROM = 4000  # stage-1 tokens learned by plain count (HF's Rust trainer) before spread ranking
SCORINGS = ("spread", "count")  # `learn_merges(scoring=...)`; "count" (classic BPE) is for the ablation only

Pair = tuple[int, int]


def plain_count_tokens(stage1_size: int, spread_from: int) -> int:
    """How many of stage 1's `stage1_size` tokens the Rust trainer learns by plain count before the rest
    is ranked by spread: `spread_from` (at least the specials and 256 bytes), all of them when it is 0."""
    from cppllm.tokenizer.special import N_SPECIAL

    return min(stage1_size, max(spread_from, N_SPECIAL + 256)) if spread_from else stage1_size


def spread_score(by_project: dict[str, int], n_projects: int) -> int:
    """A pair's score: its count outside the project where it is most frequent (with one project in the
    sample, its count)."""
    total = sum(by_project.values())
    return total - max(by_project.values()) if n_projects > 1 else total


def with_pattern(tok: CppTokenizer, pattern: str) -> CppTokenizer:
    """`tok`'s vocabulary and merges behind another pre-tokenizer regex."""
    spec = json.loads(tok.to_json())
    spec["pre_tokenizer"]["pretokenizers"][0]["pattern"] = {"Regex": pattern}
    return CppTokenizer.load_json(json.dumps(spec))


def unit_counts(
    tok: CppTokenizer, docs: Iterable[tuple[str, str]], pattern: str, *, whole: bool = True
) -> Counter:
    """`(project, ids)` of the `pattern` matches (units) of `(project, text)` documents, counted. Each
    distinct unit is encoded once with `tok`'s vocabulary over the whole unit (`tok` behind `pattern`); a
    unit of one token has no pair and is left out.

    `whole=False` is for the ablation benchmark only (`bench_tokenizer_variants.py --superword-units
    pieces`): each unit is encoded by `tok` as it is, cut by `tok`'s own pre-tokenizer (stage 1's regex
    pieces), the earlier behaviour of the superwords."""
    import regex

    pat = regex.compile(pattern)
    units: Counter = Counter()
    for project, text in docs:
        units.update((project, unit) for unit in pat.findall(text))
    distinct = sorted({unit for _, unit in units})
    encoder = with_pattern(tok, pattern) if whole else tok
    ids = dict(zip(distinct, encoder.encode_batch(distinct), strict=True))
    out: Counter = Counter()
    for (project, unit), n in units.items():
        seq = ids[unit]
        if len(seq) > 1:
            out[(project, tuple(seq))] += n
    return out


def learn_merges(
    counts: Counter,
    n_merges: int,
    token_bytes: dict[int, bytes],
    *,
    max_parts: int | None = None,
    min_frequency: int = 2,
    show_progress: bool = False,
    desc: str = "tokenizer: merges",
    scoring: str = "spread",
) -> list[tuple[int, int, int]]:
    """BPE over `(project, id sequence)` counts: `(left, right, new_id)` for each merge, best
    :func:`spread_score` first, until `n_merges` new tokens or no pair scores `min_frequency`. A merge whose
    bytes already are a token reuses that id (no new slot). `max_parts`: most units of the starting ids in
    one token (None: no limit). `token_bytes` is extended in place.

    `scoring="count"` is for the ablation benchmark only (`bench_tokenizer_variants.py
    --superword-scoring count`): pairs ranked by their plain count over all projects (classic BPE)."""
    if scoring not in SCORINGS:
        raise ValueError(f"scoring must be one of {SCORINGS}, not {scoring!r}")
    keys = list(counts)
    words = [list(seq) for _, seq in keys]
    projects = [project for project, _ in keys]
    freqs = list(counts.values())
    # spread_score over one project is the plain count: "count" scores as if all were one project
    n_projects = len(set(projects)) if scoring == "spread" else 1
    limit = max_parts or float("inf")
    parts = [[1] * len(w) for w in words]  # starting ids inside each position's token
    by_bytes = {b: i for i, b in token_bytes.items()}
    pair_counts: dict[Pair, dict[str, int]] = {}  # pair -> project -> count
    where: dict[Pair, set[int]] = {}
    for wi, w in enumerate(words):
        for k in range(len(w) - 1):
            if parts[wi][k] + parts[wi][k + 1] <= limit:
                c = pair_counts.setdefault((w[k], w[k + 1]), {})
                c[projects[wi]] = c.get(projects[wi], 0) + freqs[wi]
                where.setdefault((w[k], w[k + 1]), set()).add(wi)
    scores = {p: spread_score(c, n_projects) for p, c in pair_counts.items()}
    heap = [(-s, p) for p, s in scores.items()]
    heapq.heapify(heap)
    next_id = max(token_bytes) + 1
    merges: list[tuple[int, int, int]] = []
    new_tokens = 0
    bar = tqdm(total=n_merges, desc=desc, unit="tok", disable=not show_progress, mininterval=2)
    while heap and new_tokens < n_merges:
        neg, pair = heapq.heappop(heap)
        if scores.get(pair) != -neg:
            continue  # stale entry
        if -neg < min_frequency:
            break
        merged = token_bytes[pair[0]] + token_bytes[pair[1]]
        new = by_bytes.get(merged)
        if new is None:
            new, next_id, new_tokens = next_id, next_id + 1, new_tokens + 1
            token_bytes[new] = merged
            by_bytes[merged] = new
            bar.update()
        merges.append((pair[0], pair[1], new))
        words_of = where.pop(pair, ())
        touched = _apply_merge(pair, new, words_of, words, parts, projects, freqs, where, limit)
        pair_counts.pop(pair, None)
        scores.pop(pair, None)
        for p, deltas in touched.items():
            if p != pair:
                _rescore(p, deltas, pair_counts, scores, heap, n_projects)
    bar.close()
    return merges


def _rescore(p: Pair, deltas: dict[str, int], pair_counts: dict, scores: dict, heap: list, n: int) -> None:
    c = pair_counts.setdefault(p, {})
    for project, d in deltas.items():
        left = c.get(project, 0) + d
        if left > 0:
            c[project] = left
        else:
            c.pop(project, None)
    if not c:
        pair_counts.pop(p, None)
        scores.pop(p, None)
        return
    s = spread_score(c, n)
    if s != scores.get(p):
        scores[p] = s
        heapq.heappush(heap, (-s, p))


def _apply_merge(pair, new, word_ids, words, parts, projects, freqs, where, limit) -> dict:
    """Replace `pair` by `new` in the given words; the per-project count changes of every pair touched."""
    touched: dict[Pair, dict[str, int]] = {}

    def add(p: Pair, project: str, d: int) -> None:
        c = touched.setdefault(p, {})
        c[project] = c.get(project, 0) + d

    for wi in word_ids:
        w, pw, f, project = words[wi], parts[wi], freqs[wi], projects[wi]
        for k in range(len(w) - 1):  # old pairs out
            if pw[k] + pw[k + 1] <= limit:
                add((w[k], w[k + 1]), project, -f)
        nw, npw, k = [], [], 0
        while k < len(w):
            if k < len(w) - 1 and (w[k], w[k + 1]) == pair and pw[k] + pw[k + 1] <= limit:
                nw.append(new)
                npw.append(pw[k] + pw[k + 1])
                k += 2
            else:
                nw.append(w[k])
                npw.append(pw[k])
                k += 1
        words[wi], parts[wi] = nw, npw
        for k in range(len(nw) - 1):  # new pairs in
            if npw[k] + npw[k + 1] <= limit:
                add((nw[k], nw[k + 1]), project, f)
                where.setdefault((nw[k], nw[k + 1]), set()).add(wi)
    return touched


def extend(
    tok: CppTokenizer,
    docs: Iterable[tuple[str, str]],
    n_merges: int,
    *,
    pattern: str,
    max_parts: int | None = None,
    min_frequency: int = 2,
    show_progress: bool = False,
    desc: str = "tokenizer: merges",
    scoring: str = "spread",
    whole: bool = True,
) -> CppTokenizer:
    """`tok` with up to `n_merges` more tokens learned from the `pattern` units of `(project, text)`
    documents (:func:`unit_counts`, :func:`learn_merges`), `pattern` as its pre-tokenizer. `scoring` and
    `whole` are the ablation benchmark's knobs (:func:`learn_merges`, :func:`unit_counts`); keep the
    defaults."""
    token_bytes = {i: tok.token_to_bytes(i) for i in range(tok.vocab_size)}
    n_before = tok.vocab_size
    learn_merges(  # extends token_bytes with the new tokens
        unit_counts(tok, docs, pattern, whole=whole),
        n_merges,
        token_bytes,
        max_parts=max_parts,
        min_frequency=min_frequency,
        show_progress=show_progress,
        desc=desc,
        scoring=scoring,
    )
    enc = {b: c for c, b in _byte_decoder().items()}
    spec = json.loads(with_pattern(tok, pattern).to_json())
    vocab = spec["model"]["vocab"]
    for i in range(n_before, max(token_bytes) + 1):
        vocab["".join(enc[b] for b in token_bytes[i])] = i
    spec["model"]["merges"] = closure_merges(vocab)
    return CppTokenizer.load_json(json.dumps(spec))


def closure_merges(vocab: dict[str, int]) -> list[list[str]]:
    """Every split `(a, b)` of every token into two earlier tokens, in token-id order: HF's merge-list BPE
    then encodes as tiktoken's rank BPE does (any adjacent pair whose concatenation is a token, lowest id
    first), so both engines give the same ids. The learned merges alone would not: a token's bytes can
    often be reached through another split than the learned one, which tiktoken takes and HF would not."""
    from cppllm.tokenizer.special import N_SPECIAL

    out = []
    for token, i in sorted(vocab.items(), key=lambda kv: kv[1]):
        if i < N_SPECIAL + 256:
            continue
        for k in range(1, len(token)):
            a, b = token[:k], token[k:]
            if vocab.get(a, i) < i and vocab.get(b, i) < i:
                out.append([a, b])
    return out
