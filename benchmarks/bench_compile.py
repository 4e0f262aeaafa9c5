"""Compile-check throughput: our sandboxed, parallel, PCH-cached checker vs naive `g++ -fsyntax-only`.

Same snippets, same compiler flags (`CompileConfig().flags`), same run. The baseline runs one plain g++ per
snippet, one at a time, as an evaluation script would. Verdicts must be identical. Ours runs twice, each
time with a fresh PCH cache (PCH builds are part of its time): with one worker (the per-core ratio: what the
PCH cache buys, minus the sandbox's cost) and with `--jobs` workers (the parallel ratio, on this machine's
cores). Two snippet mixes:

- `shared`: 4 include sets shared by all snippets (an eval set's prompts often share their headers);
- `cold`: each snippet draws its own 2-4 headers from 14, so most include sets differ and nearly every
  PCH is built for one snippet (the cold-PCH case: the cache cannot pay for itself here).

    python benchmarks/bench_compile.py [--snippets 60] [--jobs N] [--mix shared|cold|both]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import machine_line

from cppllm.eval.syntax_check import CompileChecker, CompileConfig

PREFIXES = [
    ["iostream", "vector", "string"],
    ["vector", "algorithm", "numeric"],
    ["map", "string", "unordered_map", "memory"],
    ["bits/stdc++.h"],
]
BODIES = [
    "int solve(const std::vector<int>& v) {{ int s = 0; for (int x : v) s += x * {k}; return s; }}\n",
    'std::string greet(const std::string& n) {{ return "hi " + n + std::to_string({k}); }}\n',
    "template <class T> T twice(T x) {{ return x + x + {k}; }}\nint use() {{ return twice({k}); }}\n",
    "int broken_{k}() {{ return missing_fn({k}); }}\n",
    "struct S{k} {{ int a; int b; }};\nint f{k}(S{k} s) {{ return s.a + s.b }}\n",
    "auto lam{k} = [](int a) {{ return a * {k}; }};\n",
]


# the cold mix: every body needs <vector> and <string> at most, which the unit includes after its draw
HEADER_POOL = [
    "iostream", "algorithm", "numeric", "map", "unordered_map", "memory", "set", "deque",
    "functional", "sstream", "optional", "array", "tuple", "cmath",
]  # fmt: skip


def make_snippets(n: int, seed: int = 0, mix: str = "shared") -> list[str]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        if mix == "shared":  # the same snippets as before the cold mix existed
            prefix = rng.choice(PREFIXES)
            body = rng.choice(BODIES).format(k=k)
            extra = "#include <vector>\n#include <string>\n" if prefix == ["bits/stdc++.h"] else ""
        else:
            prefix = rng.sample(HEADER_POOL, rng.randint(2, 4))
            body = rng.choice(BODIES).format(k=k)
            extra = "#include <vector>\n#include <string>\n"
        out.append("".join(f"#include <{h}>\n" for h in prefix) + extra + "\n" + body)
    return out


def include_sets(snippets: list[str]) -> int:
    return len({tuple(ln for ln in s.split("\n") if ln.startswith("#include")) for s in snippets})


def naive(snippets: list[str]) -> list[bool]:
    verdicts = []
    with tempfile.TemporaryDirectory() as d:
        for i, s in enumerate(snippets):
            f = Path(d) / f"s{i}.cpp"
            f.write_text(s)
            r = subprocess.run(["g++", *CompileConfig().flags, str(f)], capture_output=True)
            verdicts.append(r.returncode == 0)
    return verdicts


def ours(snippets: list[str], jobs: int) -> tuple[list[bool], float]:
    t0 = time.perf_counter()
    with CompileChecker(CompileConfig()) as checker:  # a fresh PCH cache: its builds are in our time
        verdicts = [r.ok for r in checker.check_many(snippets, jobs=jobs)]
    return verdicts, time.perf_counter() - t0


def run_mix(mix: str, n: int, jobs: int) -> bool:
    snippets = make_snippets(n, mix=mix)
    t0 = time.perf_counter()
    base = naive(snippets)
    t_base = time.perf_counter() - t0
    one, t_one = ours(snippets, 1)
    par, t_par = ours(snippets, jobs)
    same = one == base and par == base
    print(
        f"== mix {mix}: {len(snippets)} snippets ({sum(base)} valid), {include_sets(snippets)} include sets"
    )
    print(f"verdicts identical: {same}")
    print(f"naive g++, 1 at a time:     {n / t_base:6.2f} checks/s ({t_base:.1f} s)")
    print(f"cppllm sandbox+PCH x1:      {n / t_one:6.2f} checks/s ({t_one:.1f} s)")
    print(f"cppllm sandbox+PCH x{jobs}:      {n / t_par:6.2f} checks/s ({t_par:.1f} s)")
    print(f"ratio per core (x1 vs x1):  {t_base / t_one:6.2f}x")
    print(f"ratio x{jobs} vs naive x1:     {t_base / t_par:6.2f}x")
    return same


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--snippets", type=int, default=60, help="number of snippets per mix")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel checks for ours")
    p.add_argument("--mix", choices=("shared", "cold", "both"), default="both", help="snippet mix(es)")
    args = p.parse_args(argv)
    print(machine_line())
    mixes = ("shared", "cold") if args.mix == "both" else (args.mix,)
    ok = [run_mix(m, args.snippets, args.jobs) for m in mixes]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
