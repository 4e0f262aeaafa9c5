"""Compile-check throughput: our sandboxed, parallel, PCH-cached checker vs naive `g++ -fsyntax-only`.

Same snippets, same run. The baseline runs one plain `g++ -std=c++20 -fsyntax-only` per snippet, one at a
time, as an evaluation script would. Verdicts must be identical. Prints checks/s and the ratio.

    python benchmarks/bench_compile.py [--snippets 60] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cppllm.eval.compile import CompileChecker, CompileConfig

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


def make_snippets(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for k in range(n):
        prefix = rng.choice(PREFIXES)
        body = rng.choice(BODIES).format(k=k)
        extra = "#include <vector>\n#include <string>\n" if prefix == ["bits/stdc++.h"] else ""
        out.append("".join(f"#include <{h}>\n" for h in prefix) + extra + "\n" + body)
    return out


def naive(snippets: list[str]) -> list[bool]:
    verdicts = []
    with tempfile.TemporaryDirectory() as d:
        for i, s in enumerate(snippets):
            f = Path(d) / f"s{i}.cpp"
            f.write_text(s)
            r = subprocess.run(["g++", "-std=c++20", "-fsyntax-only", str(f)], capture_output=True)
            verdicts.append(r.returncode == 0)
    return verdicts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--snippets", type=int, default=60, help="number of snippets")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel checks for ours")
    args = p.parse_args(argv)
    snippets = make_snippets(args.snippets)

    t0 = time.perf_counter()
    base = naive(snippets)
    t_base = time.perf_counter() - t0

    t0 = time.perf_counter()
    with CompileChecker(CompileConfig()) as checker:  # PCH builds are part of our measured time
        ours = [r.ok for r in checker.check_many(snippets, jobs=args.jobs)]
    t_ours = time.perf_counter() - t0

    same = ours == base
    hw = f"{os.cpu_count()}-core {platform.machine()} ({platform.processor() or 'cpu'})"
    print(f"hardware: {hw}")
    print(f"snippets: {len(snippets)} ({sum(base)} valid), verdicts identical: {same}")
    print(f"naive g++ -fsyntax-only: {len(snippets) / t_base:.2f} checks/s ({t_base:.1f} s)")
    print(f"cppllm sandbox+PCH x{args.jobs}: {len(snippets) / t_ours:.2f} checks/s ({t_ours:.1f} s)")
    print(f"ratio: {t_base / t_ours:.2f}x")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
