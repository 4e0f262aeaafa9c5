"""License detection with ScanCode Toolkit, in the order The Stack v2 used it (arXiv:2402.19173).

Per file, cheapest first:
1. an `SPDX-License-Identifier:` line near the top is authoritative (parsed by ScanCode's SPDX matcher);
2. otherwise the leading comment block only (not the whole file) is matched against ScanCode's index:
   only its legal paragraphs (blocks that mention a license, copyright, permission, ...) are matched,
   and results are cached by the paragraphs' words without their `Copyright ...` lines, so the
   thousand near-identical GPL headers of libstdc++ cost one match;
3. a tree's LICENSE/COPYING/NOTICE/README files, scanned once with ScanCode's full detection, and
   propagated down the directory (`scan_tree` / `lookup`); see `trees.py`.

ScanCode's index is ~1.4 GB resident and takes seconds to load: `Detector` loads it lazily, once per
process, so DataTrove steps holding one still pickle.

ScanCode's approximate matcher ranks candidates by comparing a query's token set with each of its ~30k
approximately matchable rules in Python (`match_set.compute_candidates`: most of a cold header's time).
`RulePrefilter` counts the shared tokens of all rules at once from an inverted index (numpy), scores only
the rules that pass ScanCode's thresholds, with ScanCode's own formulas, and hands ScanCode just its top
ones: the same candidates in the same order, so the same matches, in a fraction of the time.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass

_WARM = False
NOASSERTION = "NOASSERTION"  # SPDX's "no license information" value

SPDX_TAG_RE = re.compile(r"spd[xz][-\s]+licen[cs]e[-\s]+identifier\s*:", re.IGNORECASE)
SPDX_TAG_LINES = 100  # tags live at the top by convention (Linux, LLVM, REUSE)

# A comment paragraph is legal if it mentions one of these; other paragraphs (doc comments, modelines,
# include guards' notes) are never sent to the index.
LEGAL_RE = re.compile(
    r"licen[cs]|copyright|copyleft|\(c\)|©|permission|warrant|redistribut|\bgpl\b|public domain|spdx|"
    r"free software|rights reserved|\bmit\b|apache|\bbsd\b|boost software|mozilla|patent|governed by|"
    r"terms of|unlicense",
    re.IGNORECASE,
)
# "Copyright (C) 2001-2022 Free Software Foundation, Inc." lines vary per file but never decide the
# license: they are left out of the cache key (they are still sent to the index).
COPYRIGHT_LINE_RE = re.compile(r"^\W*(copyright\b|\(c\)|©)", re.IGNORECASE)
COPYRIGHT_KEEP_RE = re.compile(r"licen[cs]|permission|notice|redistribut|warrant|holder", re.IGNORECASE)
RIGHTS_RESERVED_RE = re.compile(r"all\s+rights\s+reserved", re.IGNORECASE)
WORD_RE = re.compile(r"\w+")
MIN_SOLID_MATCH = 20  # tokens: shorter exact matches are re-checked by the full matcher

# Detections that only point elsewhere ("see the LICENSE file"): the license file decides.
REFERENCE_ONLY = frozenset(
    {
        "LicenseRef-scancode-unknown-license-reference",
        "LicenseRef-scancode-unknown",
        "LicenseRef-scancode-free-unknown",
        "LicenseRef-scancode-unknown-spdx",
    }
)


@dataclass(frozen=True, slots=True)
class FileLicense:
    """A file-level result: an SPDX expression (or None) and where it came from."""

    license: str | None
    source: str  # "spdx-tag" | "header" | "none"


def spdx_tag_lines(text: str, max_lines: int = SPDX_TAG_LINES) -> list[str]:
    """The `SPDX-License-Identifier:` lines among the first `max_lines` lines."""
    head = text.split("\n", max_lines)[:max_lines]
    return [line for line in head if SPDX_TAG_RE.search(line)]


def leading_comment(text: str, max_lines: int = 400) -> list[list[str]]:
    """The leading comment block as paragraphs (lists of lines), before the first line of code.

    Blank lines and preprocessor lines other than `#include` are skipped (torch's wheel prefixes its
    headers with `#if !defined(TORCH_STABLE_ONLY)`); a blank line or a new `/*` starts a paragraph.
    """
    paragraphs: list[list[str]] = []
    cur: list[str] = []
    in_block = False
    for line in text.split("\n", max_lines)[:max_lines]:
        s = line.strip()
        if in_block:
            cur.append(line)
            if "*/" in s:
                in_block = False
                if not s.endswith("*/"):
                    break  # code after the comment on the same line
            continue
        if not s or (s.startswith("#") and not s.startswith(("#include", "#import"))):
            if cur:
                paragraphs.append(cur)
                cur = []
            continue
        if s.startswith("//"):
            cur.append(line)
        elif s.startswith("/*"):
            if cur:
                paragraphs.append(cur)
            cur = [line]
            end = s.find("*/", 2)
            if end < 0:
                in_block = True
            elif not s.endswith("*/"):
                break
        else:
            break
    if cur:
        paragraphs.append(cur)
    return paragraphs


def legal_text(text: str, max_lines: int = 400) -> str:
    """The legal paragraphs of the leading comment block ("" when there are none)."""
    keep = ["\n".join(p) for p in leading_comment(text, max_lines) if LEGAL_RE.search("\n".join(p))]
    return "\n\n".join(keep)


def cache_key(legal: str) -> str:
    """Words of the legal text, lowercased, without `Copyright <years> <owner>` lines."""
    lines = [
        ln
        for ln in legal.split("\n")
        if not (COPYRIGHT_LINE_RE.match(ln) and not COPYRIGHT_KEEP_RE.search(ln))
    ]
    words = WORD_RE.findall("\n".join(lines).lower())
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).hexdigest()


def is_reference_only(expression: str | None) -> bool:
    """True when a detection only says "see the license file" (or names no known license)."""
    if not expression:
        return False
    symbols = set(re.split(r"\s+(?:AND|OR|WITH)\s+|[()\s]+", expression)) - {""}
    return bool(symbols) and symbols <= REFERENCE_ONLY


class RulePrefilter:
    """ScanCode's candidate ranking, step 1, for all rules at once: the same top rules, found with numpy.

    `licensedcode.match_set.compute_candidates` scores every approximately matchable rule against a
    query run's token set (`compare_token_sets`, ~20 us a rule in Python, ~30k rules), sorts them and
    keeps the best `10 * top` for its second step (token multisets). With `I` = run set & rule set, a rule
    is kept only if `|I & legalese| >= max(1, min_high_matched_length_unique)`,
    `|I| >= min_matched_length_unique` and `|I| / length_unique >= minimum containment`. Here an inverted
    index (token id -> rule ids) counts `|I|` and `|I & legalese|` for every rule in one `bincount`; only
    the rules passing those tests are scored, with ScanCode's own expressions (Python floats and `round`,
    so the same numbers), sorted on ScanCode's key (score vectors, then rule id), and the best `10 * top`
    are handed to the original `compute_candidates`, which re-scores them and runs its second step: the
    same candidates in the same order, so the same matches.
    """

    def __init__(self, idx) -> None:
        import numpy as np

        rids = sorted(idx.approx_matchable_rids)
        n_rules = len(idx.rules_by_rid)
        tids: list[int] = []
        owners: list[int] = []
        big = np.iinfo(np.int32).max
        min_high = np.full(n_rules, big, dtype=np.int64)
        min_all = np.full(n_rules, big, dtype=np.int64)
        for rid in rids:
            rule = idx.rules_by_rid[rid]
            tset = list(idx.sets_by_rid[rid])
            tids.extend(tset)
            owners.extend([rid] * len(tset))
            min_high[rid] = max(1, rule.get_min_high_matched_length(True))
            min_all[rid] = rule.get_min_matched_length(True)
        t = np.asarray(tids, dtype=np.int64)
        order = np.argsort(t, kind="stable")
        self._owners = np.asarray(owners, dtype=np.int32)[order]
        self._n_tids = int(t.max()) + 1 if len(t) else 0
        self._bounds = np.searchsorted(t[order], np.arange(self._n_tids + 1)).tolist()
        self._len_legalese = idx.len_legalese
        self._min_high, self._min_all = min_high, min_all
        self._n_rules = n_rules
        self._rules = idx.rules_by_rid
        self._np = np

    def ranked(self, qset, matchable_rids, high_resemblance: bool, threshold: float) -> list[int]:
        """Rule ids of ScanCode's step-1 candidates for the query token set `qset`, best first."""
        np = self._np
        b, own, n_tids = self._bounds, self._owners, self._n_tids
        empty = np.zeros(0, dtype=np.int32)
        every = [own[b[t] : b[t + 1]] for t in qset if t < n_tids]
        high = [own[b[t] : b[t + 1]] for t in qset if t < self._len_legalese]
        n_all = np.bincount(np.concatenate(every or [empty]), minlength=self._n_rules)
        n_high = np.bincount(np.concatenate(high or [empty]), minlength=self._n_rules)
        passing = np.nonzero((n_high >= self._min_high) & (n_all >= self._min_all))[0].tolist()
        qset_len = len(qset)
        scored = []
        for rid, matched_length in zip(passing, n_all[passing].tolist(), strict=True):
            if rid not in matchable_rids:
                continue
            rule = self._rules[rid]
            # compare_token_sets(unique=True, filter_non_matching=True), verbatim
            iset_len = rule.get_length(True)
            union_len = qset_len + iset_len - matched_length
            resemblance = matched_length / union_len
            containment = matched_length / iset_len
            amplified_resemblance = resemblance**2
            minimum_containment = rule._minimum_containment
            if minimum_containment and containment < minimum_containment:
                continue
            svr = (
                round(resemblance, 1) >= threshold,
                round(containment, 1),
                round(amplified_resemblance, 1),
                round(matched_length / 20, 1),
            )
            svf = (resemblance >= threshold, containment, amplified_resemblance, matched_length)
            if high_resemblance and not (svr[0] and svf[0]):
                continue
            scored.append((svr, svf, rid))
        scored.sort(reverse=True)
        return [rid for _, _, rid in scored]


_PREFILTER: RulePrefilter | None = None


def _prefilter(idx) -> RulePrefilter:
    global _PREFILTER
    if _PREFILTER is None or _PREFILTER._rules is not idx.rules_by_rid:
        _PREFILTER = RulePrefilter(idx)
    return _PREFILTER


def detect_approximate(idx, text: str):
    """ScanCode's `detect_licenses(index=idx, query_string=text)` (approximate matching on), with its
    candidate ranking's first step done by `RulePrefilter`: the same detections, in less time.

    `licensedcode.match_set.compute_candidates` is swapped for the call and restored after (one process is
    one DataTrove worker: no other thread matches meanwhile).
    """
    from licensedcode import match_set
    from licensedcode.detection import detect_licenses

    original = match_set.compute_candidates
    pre = _prefilter(idx)

    def compute_candidates(
        query_run,
        idx,
        matchable_rids,
        top=50,
        high_resemblance=False,
        high_resemblance_threshold=0.8,
        _use_bigrams=False,
    ):
        qset, _ = match_set.build_set_and_mset(query_run.matchable_tokens(), _use_bigrams=False)
        if not qset:
            return []
        best = pre.ranked(qset, matchable_rids, high_resemblance, high_resemblance_threshold)[: top * 10]
        return original(
            query_run,
            idx,
            set(best),
            top=top,
            high_resemblance=high_resemblance,
            high_resemblance_threshold=high_resemblance_threshold,
            _use_bigrams=_use_bigrams,
        )

    match_set.compute_candidates = compute_candidates
    try:
        return list(detect_licenses(index=idx, query_string=text))
    finally:
        match_set.compute_candidates = original


class Detector:
    """ScanCode detection with a lazily loaded index and a bounded cache of header results.

    Pickles without the index; each process loads it on first use (`licensedcode.cache` keeps one per
    process, so several `Detector`s in one process share it).
    """

    def __init__(
        self,
        *,
        cache_size: int = 65536,
        max_header_lines: int = 400,
        exact_first: bool = True,
        prefilter: bool = True,
    ):
        self.cache_size = cache_size
        self.max_header_lines = max_header_lines
        self.exact_first = exact_first
        self.prefilter = prefilter
        self._cache: OrderedDict[str, str | None] = OrderedDict()
        self.hits = self.misses = 0

    def __getstate__(self) -> dict:
        return {
            "cache_size": self.cache_size,
            "max_header_lines": self.max_header_lines,
            "exact_first": self.exact_first,
            "prefilter": self.prefilter,
        }

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    @staticmethod
    def index():
        """ScanCode's index, loaded (and warmed up: its first match builds lazy tables) once per process."""
        global _WARM
        from licensedcode.cache import get_index

        idx = get_index()
        if not _WARM:
            _WARM = True
            from licensedcode.detection import detect_licenses

            warm = "// SPDX-License-Identifier: MIT\n// Licensed under the Apache License, Version 2.0"
            Detector._expression(detect_licenses(index=idx, query_string=warm))
            _prefilter(idx)  # part of loading: ~1 s, once per process
        return idx

    def detect_text(self, text: str, *, exact_first: bool = False) -> str | None:
        """ScanCode's license detection on a string, as an SPDX expression (None: nothing found).

        Mirrors `scancode.api.get_licenses`: detections with an expression, combined with AND (unique).
        With `exact_first`, ScanCode's exact matchers (hash, SPDX, Aho-Corasick) run first; their result
        stands when every line they leave unmatched is legally silent (no `LEGAL_RE` word outside
        `Copyright <owner>` lines). Only otherwise does the slow approximate matcher run.
        """
        from licensedcode.detection import detect_licenses

        if not text.strip():
            return None
        if exact_first:
            detections = list(detect_licenses(index=self.index(), query_string=text, approximate=False))
            covered: set[int] = set()
            for d in detections:
                for m in d.matches:
                    covered.update(range(m.start_line, m.end_line + 1))
            rest = [
                ln
                for i, ln in enumerate(text.split("\n"), start=1)
                if i not in covered and not (COPYRIGHT_LINE_RE.match(ln) and not COPYRIGHT_KEEP_RE.search(ln))
            ]
            # short matches are where ScanCode's false-positive heuristics and approximate matches
            # change the outcome: only long exact matches (or SPDX ids) settle it
            solid = all(
                m.matcher == "1-spdx-id" or m.len() >= MIN_SOLID_MATCH for d in detections for m in d.matches
            )
            # "All rights reserved." belongs to a copyright statement, not to a license
            rest_text = RIGHTS_RESERVED_RE.sub(" ", "\n".join(rest))
            if solid and not LEGAL_RE.search(rest_text):
                return self._expression(detections)
        if self.prefilter:
            return self._expression(detect_approximate(self.index(), text))
        return self._expression(detect_licenses(index=self.index(), query_string=text))

    @staticmethod
    def _expression(detections) -> str | None:
        from licensedcode.cache import build_spdx_license_expression, get_cache
        from packagedcode.utils import combine_expressions

        expressions = [d.license_expression for d in detections if d.license_expression]
        if not expressions:
            return None
        licensing = get_cache().licensing
        combined = combine_expressions(
            expressions=expressions, relation="AND", unique=True, licensing=licensing
        )
        return str(build_spdx_license_expression(combined, licensing=licensing))

    def scan_file(self, path: str) -> str | None:
        """ScanCode's default full per-file license scan (`scancode -l` on one file), SPDX expression."""
        from scancode.api import get_licenses

        self.index()
        return get_licenses(str(path))["detected_license_expression_spdx"]

    def _cached(self, key: str, text: str) -> str | None:
        if key in self._cache:
            self.hits += 1
            self._cache.move_to_end(key)
            return self._cache[key]
        self.misses += 1
        result = self._cache[key] = self.detect_text(text, exact_first=self.exact_first)
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    def detect_file(self, text: str) -> FileLicense:
        """File-level license: SPDX tag, else the leading comment block's legal paragraphs, else none."""
        tags = spdx_tag_lines(text)
        if tags:
            joined = "\n".join(t.strip() for t in tags)
            found = self._cached("spdx:" + joined, joined)
            if found:
                return FileLicense(found, "spdx-tag")
        legal = legal_text(text, self.max_header_lines)
        if legal:
            found = self._cached(cache_key(legal), legal)
            if found:
                return FileLicense(found, "header")
        return FileLicense(None, "none")
