"""`python -m cppllm.agent.tool --repo DIR NAME '{json args}'`: run one agent tool and print its JSON result.

python -m cppllm.agent.tool --repo myrepo read_file '{"path": "src/ring.cpp", "start_line": 20}'
python -m cppllm.agent.tool --repo myrepo run_tests '{}'

The tool runs on a fresh copy of the repository (the repository itself is never changed); for `edit` the
resulting diff is printed with the result (`"diff"`). Exit status 0 when the result is ok, 1 when the tool
reports a failure (a failing test run, a refused path), 2 on a bad command line.
"""

from __future__ import annotations

import argparse
import json
import sys

from cppllm.agent.protocol import Call
from cppllm.agent.tools import TOOLS, Budget, run_tool
from cppllm.agent.workspace import Workspace
from cppllm.eval.sandbox import add_sandbox_flags, apply_sandbox_flags


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.agent.tool", description=__doc__.splitlines()[0])
    p.add_argument("--repo", required=True, help="repository folder (the tool works on a copy)")
    p.add_argument("name", choices=sorted(TOOLS), help="tool to run")
    p.add_argument("arguments", nargs="?", default="{}", help="the tool's arguments as one JSON object")
    p.add_argument("--index", help="code index folder for `retrieve` (python -m cppllm.index build ...)")
    p.add_argument("--test-command", help="shell command that runs the tests where no CMake/make target does")
    p.add_argument("--test-timeout", type=float, default=Budget().test_s, help="seconds for build, and tests")
    add_sandbox_flags(p)
    args = p.parse_args(argv)
    apply_sandbox_flags(args)
    try:
        arguments = json.loads(args.arguments)
    except json.JSONDecodeError as e:
        p.error(f"arguments are not JSON: {e}")
    if not isinstance(arguments, dict):
        p.error("arguments must be a JSON object")
    try:
        ws = Workspace(args.repo, index_dir=args.index, test_command=args.test_command)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    with ws:
        result = run_tool(ws, Call(name=args.name, arguments=arguments), Budget(test_s=args.test_timeout))
        if args.name == "edit":
            result["diff"] = ws.diff()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result.get("ok") else 1


if __name__ == "__main__":
    raise SystemExit(main())
