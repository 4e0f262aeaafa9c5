"""`python -m cppllm.train`: train a preset on pipeline output, on one device or under torchrun.

python -m cppllm.train --preset tiny --data data/m0 --out runs/tiny
torchrun --nproc_per_node=8 -m cppllm.train --preset d20 --data data/m1 --out runs/d20
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cppllm.train.config import TrainConfig


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m cppllm.train",
        description="Train a cppllm GPT preset (Muon + AdamW, WSD schedule); works the same under torchrun.",
    )
    a = p.add_argument
    a(
        "--stage",
        choices=("pretrain", "lcft", "sft", "rl", "embed"),
        default="pretrain",
        help="pretrain (.bin data), lcft (long-context .bin data, with --init-from), sft (chat JSON lines "
        "or a HF dataset of 'messages', with --init-from), rl (GRPO on --tasks, with --init-from), embed "
        "(contrastive code embeddings on mined pairs, with --init-from; see cppllm.train.embed)",
    )
    a(
        "--init-from",
        metavar="RUN_OR_CKPT",
        help="start from this run's latest checkpoint (or this checkpoint folder): its weights and model "
        "config, a fresh optimizer and schedule; recorded as the parent in config.json",
    )
    a(
        "--rope-scaling",
        choices=("yarn",),
        help="lcft: extend the parent's context to --seq-len with YaRN (factor = seq-len / parent context)",
    )
    a("--preset", help="model preset: tiny, d12, d20, d26, d32, 3b (default: tiny, or the parent's)")
    a(
        "--data",
        default="",
        help="pipeline output DIR (uses DIR/bin/train + DIR/tokenizer), a .bin/.idx "
        "prefix, or a mixture 'name=path:weight,...'; sft: .jsonl files/folders or a HF dataset folder",
    )
    a("--val-data", help="sft: held-out chats (default: a hashed 5%% of --data's conversations)")
    a(
        "--model",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a model config field of the preset, e.g. --model n_layer=2 (repeatable)",
    )
    a("--tokenizer", help="tokenizer dir or tokenizer.json (default: the data folder's tokenizer/)")
    a("--out", required=True, help="run directory: config.json, metrics.jsonl, ckpt/")
    a("--tokens", type=int, help="token budget (default: 20 tokens per parameter, Chinchilla)")
    a("--steps", type=int, help="optimizer steps (overrides --tokens)")
    a("--batch-tokens", type=int, help="global batch in tokens, all ranks and accumulation steps together")
    a("--micro-batch", type=int, help="rows per device per forward/backward (sets gradient accumulation)")
    a("--seq-len", type=int, help="training context (default: the preset's max_seq_len)")
    a("--optimizer", choices=("muon", "adamw"), default="muon", help="optimizer of the hidden matrices")
    a("--matrix-lr", type=float, help="LR of the hidden matrices (default: 0.02 Muon, 3e-3 AdamW)")
    a("--embed-lr", type=float, help="AdamW LR of the token embedding (default: 0.2 * (d/768)^-0.5)")
    a("--head-lr", type=float, help="AdamW LR of the LM head (default: 0.004 * (d/768)^-0.5)")
    a("--scalar-lr", type=float, help="AdamW LR of the norm gains (default: 0.004 * (d/768)^-0.5)")
    a("--weight-decay", type=float, default=0.0, help="decoupled weight decay of matrices, embedding, head")
    a("--grad-clip", type=float, default=1.0, help="clip the global gradient norm (0: off)")
    a("--warmup-frac", type=float, default=0.01, help="share of steps in linear warmup")
    a("--decay-frac", type=float, default=0.2, help="share of steps in the final linear decay (WSD)")
    a(
        "--final-lr-frac",
        type=float,
        default=0.0,
        help="LR at the end of the decay, as a share of the base LR",
    )
    a(
        "--loss",
        choices=("auto", "chunked", "cce", "plain"),
        default="auto",
        help="loss kernel: auto = cut-cross-entropy on CUDA when installed, else chunked",
    )
    a(
        "--loss-chunk",
        type=int,
        help="rows of logits per chunk of the chunked loss (default: 256 CPU, 4096 GPU)",
    )
    a("--compile", action="store_true", help="torch.compile each transformer block")
    a("--fsdp", action="store_true", help="shard parameters, grads and optimizer state with FSDP2 (torchrun)")
    a(
        "--context-parallel",
        type=int,
        default=1,
        metavar="N",
        help="split every sequence over N ranks (torchrun; data-parallel size = ranks / N; "
        "pretrain and lcft; --seq-len a multiple of 2N)",
    )
    a("--device", default="auto", help="auto, cpu, cuda, cuda:N, mps")
    a("--seed", type=int, default=0, help="seed of the model init and the data order")
    a("--no-bos-aligned", action="store_true", help="tile the token stream instead of starting rows at BOS")
    a("--eval-every", type=int, help="steps between val bits-per-byte evaluations")
    a("--val-tokens", type=int, help="validation tokens per evaluation")
    a("--ckpt-every", type=int, help="steps between checkpoints (one is always written at the end)")
    a("--keep-ckpts", type=int, default=2, help="checkpoints kept (0: all)")
    a("--log-every", type=int, help="steps between metrics.jsonl records")
    a(
        "--resume",
        nargs="?",
        const="latest",
        metavar="CKPT",
        help="continue from --out's latest checkpoint, or from CKPT; 'auto': resume if one exists",
    )
    a("--stop-at-step", type=int, help="save a checkpoint and exit after this step (split a run into jobs)")
    a("--wandb", metavar="PROJECT", help="also log to Weights & Biases (needs wandb installed)")
    a("--run-name", help="wandb run name (default: the --out folder name)")
    a("--peak-flops", type=float, help="device peak FLOP/s for MFU (default: looked up from the GPU name)")
    a("--no-progress", action="store_true", help="no progress bar")
    from cppllm.train.rl.cli import add_rl_args

    add_rl_args(p)
    e = p.add_argument_group("embed stage (cppllm.train.embed)").add_argument
    e("--pooling", choices=("mean", "last"), default="mean", help="embed: pooling of the hidden states")
    e("--embed-dim", type=int, help="embed: output width of the embedding head (default: n_embd)")
    e("--infonce-temperature", type=float, default=0.05, help="embed: InfoNCE temperature")
    e("--no-hard-negatives", action="store_true", help="embed: in-batch negatives only")
    e("--pair-kinds", help="embed: comma-separated pair kinds to train on (default: all)")
    e("--pairs-per-batch", type=int, default=16, help="embed: (query, positive) pairs per step")
    e("--lr", type=float, default=1e-4, help="embed: AdamW learning rate of every parameter")
    e("--split-identifiers", action="store_true",
      help="embed: read identifiers as lower-cased words (getNumElements -> get num elements), both sides")  # fmt: skip
    e("--query-prefix", default="", help="embed: text prepended to every query (e.g. 'query: ')")
    e("--doc-prefix", default="", help="embed: text prepended to every code side (e.g. 'code: ')")
    e("--symmetric-loss", action="store_true", help="embed: InfoNCE both ways (query->code + code->query)")
    return p


def _overrides(items: list[str], parser: argparse.ArgumentParser) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--model expects KEY=VALUE, got {item!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.stage == "rl" and not args.tasks:
        parser.error("--stage rl needs --tasks KIND:DIR[,KIND:DIR...]")
    if args.stage != "rl" and not args.data:
        parser.error("--data is required (except with --stage rl, which reads --tasks)")
    if args.context_parallel < 1 or (args.context_parallel > 1 and args.stage == "embed"):
        parser.error("--context-parallel must be >= 1 (and 1 with --stage embed)")
    if args.stage == "embed":
        return _embed(args, parser)
    cfg = TrainConfig(
        tasks=args.tasks,
        stage=args.stage,
        init_from=args.init_from,
        rope_scaling=args.rope_scaling,
        preset=args.preset,
        val_data=args.val_data,
        model_overrides=_overrides(args.model, parser),
        data=args.data,
        tokenizer=args.tokenizer,
        out=args.out,
        seq_len=args.seq_len,
        batch_tokens=args.batch_tokens,
        micro_batch=args.micro_batch,
        tokens=args.tokens,
        steps=args.steps,
        optimizer=args.optimizer,
        matrix_lr=args.matrix_lr,
        embed_lr=args.embed_lr,
        head_lr=args.head_lr,
        scalar_lr=args.scalar_lr,
        weight_decay=args.weight_decay,
        grad_clip=args.grad_clip,
        warmup_frac=args.warmup_frac,
        decay_frac=args.decay_frac,
        final_lr_frac=args.final_lr_frac,
        loss=args.loss,
        loss_chunk=args.loss_chunk,
        compile=args.compile,
        fsdp=args.fsdp,
        context_parallel=args.context_parallel,
        device=args.device,
        seed=args.seed,
        bos_aligned=not args.no_bos_aligned,
        eval_every=args.eval_every,
        val_tokens=args.val_tokens,
        ckpt_every=args.ckpt_every,
        keep_ckpts=args.keep_ckpts,
        log_every=args.log_every,
        wandb=args.wandb,
        run_name=args.run_name,
        peak_flops=args.peak_flops,
        progress=not args.no_progress,
    )
    if args.stage == "rl":
        from cppllm.train.rl.cli import run_rl

        return run_rl(cfg, args, parser)
    from cppllm.train.trainer import train

    summary = train(cfg, resume=args.resume, stop_at_step=args.stop_at_step)
    if summary.get("val_bpb") is not None:
        print(
            f"[train] step {summary['step']}: loss {summary.get('loss', float('nan')):.4f}, "
            f"val bpb {summary['val_bpb']:.4f}",
            file=sys.stderr,
        )
    return 0


def _embed(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from cppllm.train.embed import EmbedTrainConfig, train_embed

    if not args.init_from:
        parser.error("--stage embed needs --init-from RUN (a trained GPT)")
    cfg = EmbedTrainConfig(
        init_from=args.init_from,
        data=args.data,
        out=args.out,
        pooling=args.pooling,
        dim=args.embed_dim,
        max_tokens=args.seq_len or 256,
        batch_size=args.pairs_per_batch,
        steps=args.steps or 200,
        lr=args.lr,
        weight_decay=args.weight_decay,
        temperature=args.infonce_temperature,
        split_identifiers=args.split_identifiers,
        query_prefix=args.query_prefix,
        doc_prefix=args.doc_prefix,
        symmetric=args.symmetric_loss,
        hard_negatives=not args.no_hard_negatives,
        kinds=tuple(k for k in (args.pair_kinds or "").split(",") if k),
        eval_every=args.eval_every or 50,
        device=args.device,
        seed=args.seed,
        progress=not args.no_progress,
    )
    s = train_embed(cfg)
    print(
        f"[train] embed step {s['step']}: loss {s['loss']:.4f}, held-out pair recall@1 "
        f"{s.get('val_recall@1_before', float('nan')):.3f} -> {s.get('val_recall@1', float('nan')):.3f}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    from cppllm.train.distributed import exit_process

    exit_process(main())
