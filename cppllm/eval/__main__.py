"""Evaluate a training run: `python -m cppllm.eval --run runs/NAME --tasks bpb,compile,fim,humaneval`.

Finds the run's latest checkpoint (`runs/NAME/ckpt/latest`, else the newest `step_*`), its data and
tokenizer from `runs/NAME/config.json` (or `--ckpt`, `--data`, `--tokenizer`), runs the tasks and merges
their sections into `runs/NAME/eval.json` (atomic write; tasks run later add to it). The prompt sets used
are written to `runs/NAME/eval_prompts.jsonl` for decontamination (`cppllm.pipeline.dedup.decontam`).

Tasks: `bpb` (bits per byte on the held-out split, and the unigram baseline), `compile` (compile rate of
sampled completions), `fim` (fill-in-the-middle, PSM and SPM), `humaneval` (MultiPL-E HumanEval-C++ pass@k),
`longctx` (bpb by position and identifier recall by distance on long held-out documents, next to the
run's parent model: `cppllm.eval.longctx`), `humanevalfix` (HumanEvalPack C++ bug fixing, pass@k) and
`nullfix` (held-out null-pointer bug items of `python -m cppllm.bugs make`, fixed given the sanitizer
report; `cppllm.eval.bugfix`), `agentfix` (the model as a tool-using agent fixing held-out planted-bug
repositories, `--agentfix-data`; `cppllm.agent.bench`).
A task that cannot run (no dataset, no compiler, no sandbox for HumanEval's programs) is recorded with its
error and the exit status is 1. The isolation obtained (`cppllm.eval.sandbox.isolation_record`) is written
to `meta.sandbox` and to each section that compiles or runs model output.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from cppllm.atomic import write_text
from cppllm.eval.sandbox import add_sandbox_flags, apply_sandbox_flags, describe, isolation_record
from cppllm.eval.tasks import DEFAULT_TASKS, TASKS, headline, parse_tasks
from cppllm.layout import find_checkpoint, find_split, find_tokenizer


def resolve_inputs(args: argparse.Namespace) -> dict[str, Path | None]:
    """Checkpoint, val/train prefixes and tokenizer dir, from flags first, then the run's config.json."""
    run = Path(args.run) if args.run else None
    ckpt = Path(args.ckpt) if args.ckpt else (find_checkpoint(run) if run else None)
    data_roots: list[Path] = []
    tokenizer = Path(args.tokenizer) if args.tokenizer else None
    if args.data:
        data_roots.append(Path(args.data))
    elif run is not None and (run / "config.json").is_file():
        cfg = json.loads((run / "config.json").read_text())
        for src in (cfg.get("data") or {}).values():
            data_roots.append(Path(src["prefix"]))
        train_cfg = cfg.get("train") or {}
        if tokenizer is None and train_cfg.get("tokenizer"):
            tokenizer = Path(train_cfg["tokenizer"])
        if not data_roots and train_cfg.get("data"):
            data_roots.append(Path(str(train_cfg["data"]).split(",")[0].split("=")[-1].rsplit(":", 1)[0]))
    val = train = None
    for root in data_roots:
        val = val or find_split(root, "val")
        train = train or find_split(root, "train")
        tokenizer = tokenizer or find_tokenizer(root)
    return {"ckpt": ckpt, "val": val, "train": train, "tokenizer": tokenizer}


def _write_json(path: Path, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=str))


def _val_targets(val_prefix: Path, seq_len: int, max_tokens: int):
    """The first `max_tokens // seq_len` of the trainer's val windows: x (N, T), y (N, T) int64.

    The windows are `TokenDataset.window_starts` (the stream tiled by `seq_len + 1`-token windows, not
    BOS-aligned), the ones the trainer's val bpb walks, so both score the same tokens the same way.
    """
    import numpy as np

    from cppllm.train.data import TokenDataset

    ds = TokenDataset(val_prefix)
    starts = ds.window_starts(seq_len)[: max_tokens // seq_len]
    if not len(starts):
        raise ValueError(f"val split {val_prefix} has fewer than {seq_len + 1} tokens")
    windows = np.asarray(ds.tokens[starts[:, None] + np.arange(seq_len + 1)], dtype=np.int64)
    return windows[:, :-1], windows[:, 1:]


def run_bpb(model, tok, paths, args, device) -> dict[str, Any]:
    import numpy as np
    import torch

    from cppllm.eval.unigram import token_counts, unigram_bpb
    from cppllm.loss import bits_per_byte
    from cppllm.pipeline.pretokenize.indexed import IndexedReader

    if paths["val"] is None:
        raise FileNotFoundError("no val split found (pass --data DIR with bin/val.{bin,idx})")
    seq = model.config.max_seq_len
    x, y = _val_targets(paths["val"], seq, args.bpb_tokens)
    vocab = model.config.vocab_size
    tb = np.zeros(vocab, dtype=np.int64)
    tb[: tok.vocab_size] = tok.token_bytes()[:vocab]
    bs = args.batch_size
    batches = (
        (torch.from_numpy(x[i : i + bs]), torch.from_numpy(y[i : i + bs])) for i in range(0, len(x), bs)
    )
    bpb = bits_per_byte(model, batches, tb, device)
    out: dict[str, Any] = {
        "bpb": bpb,
        "tokens": int(y.size),
        "bytes": int(tb[y].sum()),
        "val": str(paths["val"]),
    }
    if paths["train"] is not None:
        counts = token_counts(IndexedReader(paths["train"]).tokens[: args.unigram_tokens], vocab)
        out["unigram_bpb"] = unigram_bpb(counts, y, tb)
        out["unigram_train_tokens"] = int(counts.sum())
    else:
        out["unigram_bpb"] = None
        out["unigram_note"] = "no train split found: unigram baseline skipped"
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m cppllm.eval", description=__doc__.split("\n")[0])
    p.add_argument(
        "--run", help="run folder (runs/NAME): checkpoint, data and tokenizer from its config.json"
    )
    p.add_argument(
        "--ckpt", help="checkpoint folder (config.json + model.safetensors); default: the run's latest"
    )
    p.add_argument("--data", help="pipeline output folder (bin/val, bin/train, tokenizer/) or a val prefix")
    p.add_argument("--tokenizer", help="tokenizer folder or tokenizer.json")
    p.add_argument(
        "--tasks", default=",".join(DEFAULT_TASKS), help=f"comma-separated subset of {','.join(TASKS)}"
    )
    p.add_argument("--out", help="eval.json path (default: RUN/eval.json)")
    p.add_argument(
        "--compile-samples", type=int, default=100, help="prompts (one completion each) for compile"
    )
    p.add_argument(
        "--compile-pool", type=int, default=6, help="candidate prompts per kept one for reference selection"
    )
    p.add_argument(
        "--no-compile-select",
        action="store_true",
        help="keep compile prompts whose reference does not compile in its build context",
    )
    p.add_argument("--fim-samples", type=int, default=50, help="FIM tasks (each filled in PSM and SPM)")
    p.add_argument(
        "--humaneval-source", default="nuprl/MultiPL-E", help="HF dataset or local MultiPL-E .jsonl"
    )
    p.add_argument("--humaneval-limit", type=int, default=None, help="first N problems only")
    p.add_argument("--humaneval-samples", type=int, default=1, help="completions per problem (n of pass@k)")
    p.add_argument(
        "--humanevalfix-source",
        default="bigcode/humanevalpack",
        help="HF dataset or local HumanEvalPack .jsonl",
    )
    p.add_argument("--nullfix-data", help="a `python -m cppllm.bugs make --split bench` folder (nullfix)")
    p.add_argument(
        "--bugfix-limit", type=int, default=None, help="first N humanevalfix/nullfix/agentfix problems"
    )
    p.add_argument("--agentfix-data", help="a `python -m cppllm.bugs make --split bench` folder (agentfix)")
    p.add_argument("--agent-max-steps", type=int, default=20, help="agentfix: assistant turns per task")
    p.add_argument("--pass-k", default="1,10,100", help="k values of pass@k (those <= samples are reported)")
    p.add_argument("--max-new-tokens", type=int, default=256, help="sampled tokens per completion")
    p.add_argument("--fim-max-new-tokens", type=int, default=None, help="tokens per FIM fill (default: half)")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature (0: greedy)")
    p.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass")
    p.add_argument("--batch-size", type=int, default=8, help="sequences per forward pass")
    p.add_argument("--bpb-tokens", type=int, default=1 << 20, help="val tokens scored for bits per byte")
    p.add_argument(
        "--unigram-tokens", type=int, default=100_000_000, help="train tokens counted for the unigram"
    )
    p.add_argument("--max-docs", type=int, default=2000, help="held-out documents decoded for prompts")
    p.add_argument(
        "--longctx-data",
        help="longctx: held-out long documents (a repo_bin folder or a prefix; default: the run's val split)",
    )
    p.add_argument("--longctx-len", type=int, help="longctx: context scored (default: the model's)")
    p.add_argument("--longctx-bucket", type=int, default=1024, help="longctx: tokens per position bucket")
    p.add_argument("--longctx-docs", type=int, default=16, help="longctx: documents scored")
    p.add_argument("--longctx-probes", type=int, default=20, help="longctx: recall probes per distance")
    p.add_argument(
        "--no-longctx-parent", action="store_true", help="longctx: do not also score the run's parent model"
    )
    p.add_argument("--compiler", default="g++", help="compiler driver (g++ or clang++)")
    p.add_argument("--std", default="c++20", help="language standard for compile/FIM checks")
    p.add_argument("--jobs", type=int, default=os.cpu_count(), help="parallel compiler jobs")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps")
    p.add_argument("--seed", type=int, default=0, help="prompt selection and sampling seed")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_sandbox_flags(p)
    args = p.parse_args(argv)
    apply_sandbox_flags(args)

    try:
        tasks = parse_tasks(args.tasks)
    except ValueError as e:
        p.error(str(e))
    if not args.run and not (args.ckpt and args.out):
        p.error("give --run, or --ckpt with --out")
    paths = resolve_inputs(args)
    if paths["ckpt"] is None:
        print(
            f"error: no checkpoint found in {args.run} (expected {args.run}/ckpt/latest); pass --ckpt",
            file=sys.stderr,
        )
        return 2
    if paths["tokenizer"] is None:
        print("error: no tokenizer found; pass --tokenizer DIR", file=sys.stderr)
        return 2
    out_path = Path(args.out) if args.out else Path(args.run) / "eval.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)

    import torch

    from cppllm.device import pick_device
    from cppllm.model.checkpoint import load_checkpoint_model
    from cppllm.tokenizer.tokenizer import CppTokenizer

    info = pick_device(args.device)
    tok = CppTokenizer.load(paths["tokenizer"])
    model = load_checkpoint_model(paths["ckpt"], map_location=info.device)
    if model.config.vocab_size < tok.vocab_size:
        print(
            f"error: model vocab {model.config.vocab_size} < tokenizer vocab {tok.vocab_size}",
            file=sys.stderr,
        )
        return 2
    report: dict[str, Any] = json.loads(out_path.read_text()) if out_path.is_file() else {}
    ckpt_cfg = json.loads((paths["ckpt"] / "config.json").read_text())
    report["meta"] = {
        "checkpoint": str(paths["ckpt"]),
        "step": ckpt_cfg.get("step"),
        "model": model.config.name,
        "tokenizer": str(paths["tokenizer"]),
        "tokenizer_hash": tok.hash(),
        "val": str(paths["val"]),
        "device": str(info.device),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "args": {k: v for k, v in vars(args).items() if k not in ("run",)},
    }
    prompt_rows: list[dict[str, str]] = []
    status = 0
    need_sampling = any(TASKS[t].runs_model_code for t in tasks)
    completer = checker = docs = None
    if need_sampling:
        # What compiles and runs model output gets, recorded before anything runs (report.md's header).
        report["meta"]["sandbox"] = isolation_record()
        print(f"[eval] {describe(report['meta']['sandbox'])}", file=sys.stderr)
        from cppllm.eval.completion import ModelCompleter
        from cppllm.eval.syntax_check import CompileChecker, CompileConfig

        bar = None
        if not args.no_progress:
            from tqdm import tqdm

            bar = tqdm(desc="sampling", unit="seq", file=sys.stderr)
        completer = ModelCompleter(
            model,
            _SafeDecode(tok),
            temperature=args.temperature,
            top_p=args.top_p,
            batch_size=args.batch_size,
            progress=bar.update if bar is not None else None,
        )
        try:
            checker = CompileChecker(CompileConfig(compiler=args.compiler, std=args.std))
        except FileNotFoundError as e:
            checker = e
    if any(TASKS[t].heldout for t in tasks) and paths["val"] is not None:
        from cppllm.eval.prompts import load_heldout

        docs, counts = load_heldout(paths["val"], tok.decode, max_docs=args.max_docs)
        docs = _with_metadata(docs, paths["val"], counts)
        report["heldout"] = counts

    for task in tasks:
        t0 = time.time()
        try:
            with torch.inference_mode():
                if task == "bpb":
                    section = run_bpb(model, tok, paths, args, info.device)
                elif task == "longctx":
                    section = _run_longctx(model, tok, paths, args, info.device)
                elif isinstance(checker, Exception):
                    raise checker
                elif task == "compile":
                    section = _run_compile(docs, completer, checker, args, prompt_rows)
                elif task == "fim":
                    section = _run_fim(docs, completer, checker, args, prompt_rows)
                elif task == "agentfix":
                    from cppllm.agent.bench import run_task as run_agentfix

                    section = run_agentfix(model, tok, args)
                elif task in ("humanevalfix", "nullfix"):
                    from cppllm.eval.bugfix import run_task

                    section = run_task(task, completer, args, prompt_rows)
                elif task == "humaneval":
                    section = _run_humaneval(completer, args, prompt_rows)
                else:  # a task in cppllm.eval.tasks without a runner here
                    raise NotImplementedError(f"task {task!r} has no runner in cppllm.eval.__main__")
        except (FileNotFoundError, ValueError, ConnectionError, OSError) as e:
            section = {"error": f"{type(e).__name__}: {e}"}
            print(f"[eval] {task}: {section['error']}", file=sys.stderr)
            status = 1
        section["seconds"] = round(time.time() - t0, 2)
        report[task] = section
        _write_json(out_path, report)
        print(f"[eval] {task}: {headline(task, section)}", file=sys.stderr)
    if checker is not None and not isinstance(checker, Exception):
        checker.close()
    if prompt_rows:
        write_text(
            out_path.with_name("eval_prompts.jsonl"), "".join(json.dumps(r) + "\n" for r in prompt_rows)
        )
    print(f"[eval] wrote {out_path}", file=sys.stderr)
    return status


class _SafeDecode:
    """The tokenizer, with ids past its vocabulary (the model's padding rows) dropped when decoding."""

    def __init__(self, tok) -> None:
        self._tok = tok

    def __getattr__(self, name: str):
        return getattr(self._tok, name)

    def decode(self, ids) -> str:
        n = self._tok.vocab_size
        return self._tok.decode([i for i in ids if i < n])


def _need_docs(docs) -> list:
    if docs is None:
        raise FileNotFoundError("no val split found (pass --data DIR with bin/val.{bin,idx})")
    if not docs:
        raise ValueError("the val split has no usable documents to cut prompts from")
    return docs


def _with_metadata(docs, val_prefix: Path, counts: dict) -> list:
    """Held-out docs with their pipeline metadata (build context) from `DIR/docs` next to `DIR/bin/val`."""
    from cppllm.eval.context import attach_metadata

    docs_dir = Path(val_prefix).parent.parent / "docs"
    docs = attach_metadata(docs, docs_dir if docs_dir.is_dir() else None)
    counts["with_metadata"] = sum(d.metadata is not None for d in docs)
    if not docs_dir.is_dir():
        counts["metadata_note"] = f"no {docs_dir}: prompts are checked without their build context"
    return docs


def _run_compile(docs, completer, checker, args, prompt_rows) -> dict[str, Any]:
    import numpy as np

    from cppllm.eval.completion import evaluate_compile
    from cppllm.eval.context import select_in_context, with_context
    from cppllm.eval.prompts import cut_prompts

    n = args.compile_samples
    pool_n = n if args.no_compile_select else n * args.compile_pool
    pool, contexts = with_context(cut_prompts(_need_docs(docs), pool_n, seed=args.seed), docs)
    selection: dict[str, Any] = {"contexts": dict(contexts), "pool": len(pool)}
    if args.no_compile_select:
        prompts = pool
        selection["note"] = "--no-compile-select: prompts kept whether or not their reference compiles"
    else:
        order = np.random.default_rng(args.seed).permutation(len(pool))
        prompts, picked = select_in_context([pool[i] for i in order], n, checker, jobs=args.jobs)
        selection.update(picked)
    if not prompts:
        raise ValueError(f"no prompts could be cut (or none compiles in context): {selection}")
    prompt_rows += [{"set": "compile", "text": p.text[-1000:] + p.reference} for p in prompts]
    out = evaluate_compile(
        prompts, completer, checker, max_new_tokens=args.max_new_tokens, seed=args.seed, jobs=args.jobs
    )
    out["sandbox"] = isolation_record()
    out["selection"] = selection
    return out


def _run_fim(docs, completer, checker, args, prompt_rows) -> dict[str, Any]:
    from cppllm.eval.fim_eval import evaluate_fim, make_tasks

    tasks = make_tasks(_need_docs(docs), args.fim_samples, seed=args.seed)
    if not tasks:
        raise ValueError("no functions with bodies found in the held-out documents")
    prompt_rows += [{"set": "fim", "text": t.prefix[-300:] + t.middle + t.suffix[:300]} for t in tasks]
    max_new = args.fim_max_new_tokens or max(16, args.max_new_tokens // 2)
    out = evaluate_fim(tasks, completer, checker, max_new_tokens=max_new, seed=args.seed, jobs=args.jobs)
    out["sandbox"] = isolation_record()
    return out


def _run_humaneval(completer, args, prompt_rows) -> dict[str, Any]:
    from cppllm.eval.humaneval import evaluate_humaneval, load_problems
    from cppllm.eval.syntax_check import CompileChecker, CompileConfig

    problems = load_problems(args.humaneval_source, limit=args.humaneval_limit)
    prompt_rows += [{"set": "humaneval", "text": p.prompt + p.tests} for p in problems]
    ks = [int(k) for k in args.pass_k.split(",") if k.strip()]
    # MultiPL-E compiles with -std=c++17.
    with CompileChecker(CompileConfig(compiler=args.compiler, std="c++17")) as checker:
        return evaluate_humaneval(
            problems,
            completer,
            checker,
            n_samples=args.humaneval_samples,
            ks=ks,
            max_new_tokens=args.max_new_tokens,
            seed=args.seed,
            jobs=args.jobs,
        )


def _run_longctx(model, tok, paths, args, device) -> dict[str, Any]:
    import numpy as np

    from cppllm.eval.longctx import evaluate_longctx, long_documents
    from cppllm.model.checkpoint import load_checkpoint_model
    from cppllm.pipeline.pretokenize.indexed import IndexedReader

    data = Path(args.longctx_data) if args.longctx_data else paths["val"]
    prefix = find_split(data, "val") if data is not None else None
    if prefix is None:
        raise FileNotFoundError(f"longctx: no held-out documents at {data} (pass --longctx-data)")
    ctx = args.longctx_len or model.config.max_seq_len
    reader = IndexedReader(prefix)
    docs = long_documents(reader.tokens, np.asarray(reader.doc_starts), ctx + 1, args.longctx_docs)
    if not docs:
        raise ValueError(f"longctx: no document of {prefix} has {ctx + 1} tokens (lower --longctx-len)")
    models = {"run": paths["ckpt"]}
    parent = json.loads((paths["ckpt"] / "config.json").read_text()).get("parent")
    if parent and not args.no_longctx_parent:
        models["parent"] = Path(parent["checkpoint"])
    out: dict[str, Any] = {"data": str(prefix), "ctx": ctx, "bucket": args.longctx_bucket, "models": {}}
    for role, ckpt in models.items():
        if not (ckpt / "config.json").is_file():
            out["models"][role] = {"checkpoint": str(ckpt), "error": "checkpoint not found"}
            continue
        m = model if role == "run" else load_checkpoint_model(ckpt, map_location=device)
        extrapolated = ctx > m.config.max_seq_len
        if extrapolated:  # scored past its trained context on purpose: the comparison a context stage needs
            m = load_checkpoint_model(ckpt, map_location=device, max_seq_len=ctx)
        vocab = m.config.vocab_size
        tb = np.zeros(vocab, dtype=np.int64)
        tb[: tok.vocab_size] = tok.token_bytes()[:vocab]
        section = evaluate_longctx(
            m,
            tok,
            docs,
            tb,
            ctx=ctx,
            bucket=min(args.longctx_bucket, ctx),
            probes_per_distance=args.longctx_probes,
            batch_size=args.batch_size,
            device=device,
        )
        out["models"][role] = {"checkpoint": str(ckpt), "extrapolated": extrapolated, **section}
    return out


if __name__ == "__main__":
    raise SystemExit(main())
