"""Verified exercises per core-minute: the execution filter of `cppllm.synth.verify` on a fixed candidate set.

Candidates: `--candidates` exercises built from 6 templates (vector sums, string reversal, a small class, a
template, a map count, a sort) with a varying constant, plus one broken variant in four (wrong answer,
out-of-bounds read, missing semicolon, endless loop) so every verdict path is timed. Each configuration
verifies the same candidates, in the same run:

- `sanitized` (what `verify` does: ASan + UBSan build, sandboxed build and run), with 1 worker (per core)
  and with `--jobs` workers (parallel);
- the baseline `plain`: the same build and run without sanitizers (what the sanitizers cost).

Printed per configuration: candidates/min, verified (kept)/min, and per core-minute (kept / (wall minutes x
workers)), the keep rate, and the ratio to the baseline. With `--endpoint URL --model NAME` it also runs a
small Q&A generation and prints the server's throughput from its own token counts (`usage`).

    python benchmarks/bench_synth.py [--candidates 24] [--jobs N] [--endpoint URL --model NAME]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from machine import machine_line, usable_cores

from cppllm.synth.verify import VerifyConfig, verify_rows

TEMPLATES = [
    (
        "#include <vector>\nint total(const std::vector<int>& v) {{ int s = {k}; for (int x : v) s += x; return s; }}\n",
        "#include <cassert>\nint main() {{ assert(total({{1, 2, 3}}) == 6 + {k}); }}\n",
    ),
    (
        '#include <string>\n#include <algorithm>\nstd::string rev(std::string s) {{ std::reverse(s.begin(), s.end()); return s + "{k}"; }}\n',
        '#include <cassert>\nint main() {{ assert(rev("ab") == "ba{k}"); }}\n',
    ),
    (
        "class Counter {{ int n_ = {k}; public: void inc() {{ ++n_; }} int get() const {{ return n_; }} }};\n",
        "#include <cassert>\nint main() {{ Counter c; c.inc(); c.inc(); assert(c.get() == {k} + 2); }}\n",
    ),
    (
        "template <class T> T clamp_to(T x, T lo, T hi) {{ return x < lo ? lo : (hi < x ? hi : x); }}\n",
        "#include <cassert>\nint main() {{ assert(clamp_to({k}, 0, 5) == ({k} > 5 ? 5 : {k})); }}\n",
    ),
    (
        "#include <map>\n#include <string>\nstd::map<char, int> count(const std::string& s) {{ std::map<char, int> m; for (char c : s) ++m[c]; return m; }}\n",
        "#include <cassert>\nint main() {{ auto m = count(\"aab{k}\"); assert(m['a'] == 2); }}\n",
    ),
    (
        "#include <vector>\n#include <algorithm>\nstd::vector<int> sorted(std::vector<int> v) {{ std::sort(v.begin(), v.end()); return v; }}\n",
        "#include <cassert>\nint main() {{ auto v = sorted({{3, {k}, 1}}); assert(std::is_sorted(v.begin(), v.end())); }}\n",
    ),
]
BREAKS = [
    ("wrong answer", lambda s, t: (s, t.replace("assert(", "assert(false && ", 1))),
    (
        "out of bounds",
        lambda s, t: (
            s + "\nint oob() { int* p = new int[2](); int x = p[2]; delete[] p; return x; }\n",
            t.replace("int main() {", "int main() { (void)oob();"),
        ),
    ),
    ("no compile", lambda s, t: (s.replace(";", "", 1), t)),
    (
        "endless loop",
        lambda s, t: (
            s,
            t.replace("int main() {", "int main() { for (volatile unsigned i = 0;; i = i + 1) {}"),
        ),
    ),
]


def candidates(n: int) -> list[tuple[int, dict]]:
    rows = []
    for i in range(n):
        sol, tests = (x.format(k=i) for x in TEMPLATES[i % len(TEMPLATES)])
        if i % 4 == 3:
            sol, tests = BREAKS[(i // 4) % len(BREAKS)][1](sol, tests)
        rows.append((i + 1, {"id": f"c{i}", "problem": "p", "solution": sol, "tests": tests}))
    return rows


def run(rows, cfg: VerifyConfig, jobs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        stats = verify_rows(rows, Path(tmp), cfg, jobs=jobs, progress=False)
        wall = time.perf_counter() - t0
    kept = stats["kept"]
    return {
        "wall_s": wall,
        "kept": kept,
        "by_reason": {k: v for k, v in stats["by_reason"].items() if v},
        "cands_per_min": len(rows) / wall * 60,
        "kept_per_min": kept / wall * 60,
        "kept_per_core_min": kept / (wall / 60 * jobs),
    }


def throughput(endpoint: str, model: str, n: int, max_tokens: int) -> None:
    from cppllm.synth.__main__ import main as synth_main

    with tempfile.TemporaryDirectory() as tmp:
        rc = synth_main(
            ["qa", "--endpoint", endpoint, "--model", model, "--n", str(n), "--out", tmp]
            + ["--max-tokens", str(max_tokens)]
            + ["--no-decontam"]  # the server's speed only: the answers are thrown away, no eval sets needed
        )
        if rc != 0:
            print(f"generation failed (exit {rc}): no throughput figure")
            return
        stats = json.loads((Path(tmp) / "stats.json").read_text())
    r = stats["this_run"]
    print(
        f"server {endpoint} ({model}): {r.get('successful_requests', 0)} requests, "
        f"{r.get('completion_tokens', 0)} completion tokens in {r.get('inference_seconds', 0):.1f}s of inference: "
        f"{r['completion_tokens_per_s']} completion tokens/s as reported by the server's usage"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--candidates", type=int, default=24, help="candidate exercises (1 in 4 broken)")
    p.add_argument("--jobs", type=int, default=usable_cores(), help="parallel workers")
    p.add_argument("--endpoint", default=None, help="also measure this OpenAI-compatible server's throughput")
    p.add_argument("--model", default=None, help="model name for --endpoint")
    p.add_argument("--requests", type=int, default=8, help="requests for the throughput figure")
    p.add_argument("--max-tokens", type=int, default=512, help="longest answer of those requests")
    args = p.parse_args(argv)
    print(machine_line())
    rows = candidates(args.candidates)
    configs = [
        ("plain (baseline), 1 worker", VerifyConfig(sanitize=False), 1),
        ("sanitized, 1 worker", VerifyConfig(), 1),
        (f"sanitized, {args.jobs} workers", VerifyConfig(), args.jobs),
    ]
    results = {}
    for name, cfg, jobs in configs:
        results[name] = r = run(rows, cfg, jobs)
        print(
            f"{name:<28} {r['wall_s']:7.1f}s  {r['cands_per_min']:6.1f} candidates/min  "
            f"{r['kept_per_min']:6.1f} verified/min  {r['kept_per_core_min']:6.1f} verified/core-min  "
            f"kept {r['kept']}/{len(rows)} {r['by_reason']}"
        )
    base = results["plain (baseline), 1 worker"]["wall_s"]
    san = results["sanitized, 1 worker"]["wall_s"]
    par = results[f"sanitized, {args.jobs} workers"]["wall_s"]
    print(f"sanitizer cost (1 worker): {san / base:.2f}x the plain build+run time")
    print(f"parallel speed-up ({args.jobs} workers vs 1, sanitized): {san / par:.2f}x")
    print("note: the plain baseline keeps the out-of-bounds candidates the sanitized filter drops")
    if args.endpoint:
        if not args.model:
            print("error: --endpoint needs --model", file=sys.stderr)
            return 2
        throughput(args.endpoint, args.model, args.requests, args.max_tokens)
    else:
        print("server throughput: not measured (pass --endpoint URL --model NAME)")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    raise SystemExit(main())
