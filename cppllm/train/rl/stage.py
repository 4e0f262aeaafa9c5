"""The RL stage: `python -m cppllm.train --stage rl --init-from runs/sft --tasks complete:DIR --out runs/rl`.

On-policy RL with verifiable rewards on the shared `Trainer` (same setup, optimizers, checkpoints,
metrics log, resume and torchrun handling). One step:

1. draw `tasks_per_step` training tasks (split over ranks) and sample G replies each (`rollout.py`);
2. judge every reply in the sandbox, in parallel, and score it (`judge.py`, `rewards.py`);
3. GRPO advantages per group; with dynamic sampling, groups whose rewards are all equal are dropped and
   more tasks drawn (at most `max_draws` draws) until the batch holds `tasks_per_step` groups;
4. `updates_per_batch` optimizer steps of the clipped loss (`grpo.py`) through `Trainer.step`, whose
   micro-batch loss this class overrides; DAPO's token-level mean runs over all ranks' reply tokens.

Held-out tasks (never trained on) are scored greedily (pass@1) before the first step, at every
`eval_every` and at the end; `eval.json` holds before/after. Rewards, their components, pass rate, KL,
entropy, reply length, clip fractions and the rollout/reward/update wall times go to metrics.jsonl.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections import Counter
from typing import Any

import torch

from cppllm.atomic import write_text
from cppllm.model.checkpoint import load_state_dict
from cppllm.model.gpt import GPT
from cppllm.train.config import TrainConfig
from cppllm.train.distributed import DistInfo, all_reduce_sum, init_distributed, shutdown_distributed
from cppllm.train.rl.config import RL_RESUME_MUST_MATCH, RLConfig
from cppllm.train.rl.grpo import group_advantages, grpo_loss, informative_groups
from cppllm.train.rl.judge import Judge, parse_reply
from cppllm.train.rl.rewards import score
from cppllm.train.rl.rollout import Rollout, empty_rows, policy_rows, prompt_ids, sample_groups
from cppllm.train.rl.tasks import Task, TaskSampler, load_tasks
from cppllm.train.trainer import Trainer, _StopSignal


def train_rl(
    cfg: TrainConfig, rl: RLConfig, *, resume: str | None = None, stop_at_step: int | None = None
) -> dict[str, Any]:
    """Run (or resume) the RL stage; returns a summary."""
    info, device_name = init_distributed(cfg.device)
    try:
        return RLTrainer(cfg, info, device_name, rl, resume=resume).fit(stop_at_step=stop_at_step)
    finally:
        shutdown_distributed()


class RLTrainer(Trainer):
    """`Trainer` whose batches are scored rollouts and whose micro-batch loss is GRPO's."""

    def __init__(self, cfg: TrainConfig, info: DistInfo, device_name: str, rl: RLConfig, **kw) -> None:
        if cfg.stage != "rl" or not cfg.init_from:
            raise ValueError("the RL stage needs --stage rl and --init-from (a trained model to improve)")
        if not cfg.tasks:
            raise ValueError("--stage rl needs --tasks KIND:DIR[,KIND:DIR...]")
        if cfg.fsdp:
            raise ValueError("--stage rl samples from whole weights on every rank; --fsdp is not supported")
        self.rl = rl
        super().__init__(cfg, info, device_name, **kw)
        if self.ckpt is not None:
            saved = json.loads((self.ckpt / "config.json").read_text()).get("rl", {})
            old, new = RLConfig.from_dict(saved).to_dict(), rl.to_dict()
            bad = [k for k in RL_RESUME_MUST_MATCH if old[k] != new[k]]
            if bad:
                raise ValueError(f"--resume: RL settings {bad} differ from the checkpoint's; keep them")
        self.judge = Judge(jobs=rl.judge_jobs)
        self.run_config.update(rl=rl.to_dict(), sanitizers=self.judge.sanitizers)
        if info.is_main:
            write_text(self.out / "config.json", json.dumps(self.run_config, indent=2, sort_keys=True))
        self.ref = None
        if rl.kl_beta > 0:  # the reference is the --init-from model, frozen
            self.ref = GPT(self.model_cfg, init=False)
            self.ref.load_state_dict(load_state_dict(self.parent.ckpt), strict=False)
            self.ref.to(self.device).eval().requires_grad_(False)
        self._stats: list[Any] = []
        self._entropy = torch.zeros((), device=self.device)

    # ----- the hooks into Trainer -----
    def _build_loaders(self, cfg, tok, info):
        tasks, drops = load_tasks(cfg.tasks)
        room = cfg.seq_len - self.rl.max_new_tokens
        fit = []
        for t in tasks:
            if len(prompt_ids(t, tok)) > room:
                drops["prompt_too_long"] = drops.get("prompt_too_long", 0) + 1
            else:
                fit.append(t)
        train = [t for t in fit if not t.held_out]
        self.heldout = [t for t in fit if t.held_out][: self.rl.eval_tasks]
        entry = {
            "tasks": {
                "spec": cfg.tasks,
                "train": len(train),
                "heldout": len(self.heldout),
                "dropped": drops,
                "kinds": dict(Counter(t.kind for t in fit)),
            }
        }
        if info.is_main:
            print(
                f"[rl] tasks: {len(train)} train, {len(self.heldout)} held out"
                + (f", dropped {drops}" if drops else ""),
                file=sys.stderr,
            )
        return TaskSampler(train, cfg.seed), None, entry

    def micro_loss(self, batch: dict[str, torch.Tensor], n_micro: int) -> torch.Tensor:
        b = {k: v.to(self.device, non_blocking=True) for k, v in batch.items() if torch.is_tensor(v)}
        logp, entropy = self.wrapped(b["x"], b["y"], reduction="policy")
        old = b["old_logp"] if "old_logp" in b else logp.detach()
        loss, st = grpo_loss(
            logp,
            old,
            b["adv"],
            b["mask"],
            eps_low=self.rl.eps_low,
            eps_high=self.rl.eps_high,
            ref_logp=b.get("ref_logp"),
            beta=self.rl.kl_beta,
            n_tokens=batch["n_tokens"],
        )
        self._stats.append(st)
        self._entropy += (entropy * b["mask"]).sum()
        # DDP averages gradients over ranks; the token mean is over all ranks' tokens, so undo the average
        return loss * self.info.world_size

    # ----- rollouts and rewards -----
    def _draw(self, draw: int) -> tuple[list[Rollout], list[float], list[dict[str, float]], list[Any], float]:
        """One draw of this rank's tasks: rollouts, rewards, components, verdicts, rollout seconds."""
        rl, info = self.rl, self.info
        tasks: list[Task] = self.loader.next_tasks(rl.tasks_per_step)[info.rank :: info.world_size]
        t0 = time.perf_counter()
        with self.autocast():
            rolls = sample_groups(
                self.gpt,
                self.tok,
                tasks,
                group_size=rl.group_size,
                max_new_tokens=rl.max_new_tokens,
                temperature=rl.temperature,
                top_k=rl.top_k,
                seed=(self.cfg.seed * 1_000_003 + self.step_no) * 97 + draw * 13 + info.rank,
                batch_rows=rl.rollout_batch,
            )
        t_roll = time.perf_counter() - t0
        verdicts = self._judge(rolls)
        scored = [score(v, rl.reward_weights) for v in verdicts]
        return rolls, [s[0] for s in scored], [s[1] for s in scored], verdicts, t_roll

    def _judge(self, rolls: list[Rollout]):
        pairs = [
            (r.task, parse_reply(r.response_ids, self.tok, finished=r.finished), len(r.response_ids))
            for r in rolls
        ]
        return self.judge.verdicts(pairs)

    def _collect(self) -> tuple[list[Rollout], list[float], dict[str, Any]]:
        """Rollouts and advantages of this step's batch (dynamic sampling), and the step's reward metrics."""
        rl, info, G = self.rl, self.info, self.rl.group_size
        kept_rolls: list[Rollout] = []
        kept_adv: list[float] = []
        first: dict[str, Any] = {}
        t_roll = t_reward = 0.0
        draws = 0
        while True:
            t0 = time.perf_counter()
            rolls, rewards, comps, verdicts, t_r = self._draw(draws)
            t_roll += t_r
            t_reward += time.perf_counter() - t0 - t_r
            draws += 1
            r = torch.tensor(rewards, dtype=torch.float32)
            if not first:  # the on-policy reward figures come from the first draw only (no selection bias)
                first = self._reward_sums(rewards, comps, verdicts)
            adv = group_advantages(r, G, scale=rl.scale_advantages) if rolls else r
            keep = informative_groups(r, G) if rl.dynamic_sampling and rolls else torch.ones(len(rolls) // G)
            for g in keep.nonzero().flatten().tolist():
                kept_rolls += rolls[g * G : (g + 1) * G]
                kept_adv += adv[g * G : (g + 1) * G].tolist()
            n_kept = int(
                all_reduce_sum(torch.tensor([len(kept_rolls) // G], device=self.device), info).item()
            )
            if n_kept >= rl.tasks_per_step or draws >= rl.max_draws or not rl.dynamic_sampling:
                break
        if n_kept == 0:  # nothing informative: the last draw's groups (zero advantage; only the KL acts)
            kept_rolls, kept_adv = rolls, adv.tolist()
        metrics = self._reward_metrics(first)
        metrics.update(kept_groups=n_kept, draws=draws, rollout_s=t_roll, reward_s=t_reward)
        return kept_rolls, kept_adv, metrics

    def _reward_sums(self, rewards, comps, verdicts) -> dict[str, Any]:
        names = list(self.rl.reward_weights)
        n = len(rewards)
        vals = [
            float(n),
            sum(rewards),
            sum(x * x for x in rewards),
            sum(float(bool(v.tests_pass)) for v in verdicts),
            sum(v.response_tokens for v in verdicts),
            sum(float(v.status == "no_code") for v in verdicts),
        ] + [sum(c[k] for c in comps) for k in names]
        sums = all_reduce_sum(torch.tensor(vals, dtype=torch.float64, device=self.device), self.info)
        return {"names": names, "sums": sums.tolist()}

    def _reward_metrics(self, first: dict[str, Any]) -> dict[str, Any]:
        s = first["sums"]
        n = max(s[0], 1.0)
        mean = s[1] / n
        out = {
            "reward_mean": mean,
            "reward_std": max(s[2] / n - mean * mean, 0.0) ** 0.5,
            "pass_rate": s[3] / n,
            "response_len": s[4] / n,
            "no_code_frac": s[5] / n,
        }
        for k, name in enumerate(first["names"]):
            out[f"reward/{name}"] = s[6 + k] / n
        return out

    @torch.no_grad()
    def _score_batches(self, batches: list[dict[str, torch.Tensor]]) -> None:
        """old_logp (for more than one update per batch) and ref_logp (for the KL), no grad."""
        for b in batches:
            x, y = b["x"].to(self.device), b["y"].to(self.device)
            with self.autocast():
                if self.rl.updates_per_batch > 1:
                    h = self.gpt.forward_hidden(x)
                    b["old_logp"] = _logp(h, self.gpt.lm_head.weight, y).cpu()
                if self.ref is not None:
                    h = self.ref.forward_hidden(x)
                    b["ref_logp"] = _logp(h, self.ref.lm_head.weight, y).cpu()

    # ----- held-out pass@1 -----
    def evaluate_tasks(self) -> dict[str, Any] | None:
        """Greedy pass@1 and mean reward on the held-out tasks (split over ranks; collective)."""
        if not self.heldout:
            return None
        info = self.info
        mine = self.heldout[info.rank :: info.world_size]
        passed = reward = 0.0
        status: Counter = Counter()
        if mine:
            with self.autocast():
                rolls = sample_groups(
                    self.gpt,
                    self.tok,
                    mine,
                    group_size=1,
                    max_new_tokens=self.rl.max_new_tokens,
                    temperature=0.0,
                    top_k=None,
                    seed=0,
                    batch_rows=self.rl.rollout_batch,
                )
            verdicts = self._judge(rolls)
            passed = sum(float(bool(v.tests_pass)) for v in verdicts)
            reward = sum(score(v, self.rl.reward_weights)[0] for v in verdicts)
            status.update(v.status for v in verdicts)
        sums = all_reduce_sum(torch.tensor([passed, reward], dtype=torch.float64, device=self.device), info)
        n = len(self.heldout)
        return {
            "pass@1": float(sums[0]) / n,
            "reward_mean": float(sums[1]) / n,
            "n_tasks": n,
            "status_rank0": dict(status),
        }

    def _write_eval(self, key: str, result: dict[str, Any] | None) -> None:
        if not self.info.is_main or result is None:
            return
        path = self.out / "eval.json"
        data = json.loads(path.read_text()) if path.is_file() else {}
        data[key] = {**result, "step": self.step_no}
        data["held_out"] = "tasks never trained on (split heldout); greedy decoding, one reply per task"
        write_text(path, json.dumps(data, indent=2, sort_keys=True))

    # ----- the loop -----
    def fit(self, *, stop_at_step: int | None = None) -> dict[str, Any]:
        cfg, rl, info, log = self.cfg, self.rl, self.info, self.log
        summary: dict[str, Any] = {"out": str(self.out), "steps": cfg.steps, "start_step": self.step_no}
        if info.is_main:
            print(
                f"[rl] {cfg.preset} from {self.parent.ckpt}: {cfg.steps} steps x {rl.tasks_per_step} tasks x "
                f"G={rl.group_size}, clip [{1 - rl.eps_low:.2f}, {1 + rl.eps_high:.2f}], kl_beta={rl.kl_beta}, "
                f"sanitizers={self.judge.sanitizers}, device={self.device}, ranks={info.world_size}",
                file=sys.stderr,
            )
        if self.ckpt is None:
            before = self.evaluate_tasks()
            self._write_eval("before", before)
            if log is not None and before is not None:
                log.log(
                    {"step": 0, "heldout_pass@1": before["pass@1"], "heldout_reward": before["reward_mean"]}
                )
        bar = None
        if info.is_main and cfg.progress:
            from tqdm import tqdm

            bar = tqdm(total=cfg.steps, initial=self.step_no, desc="rl", unit="step", dynamic_ncols=True)
        last_eval = None
        with _StopSignal() as stop:
            while self.step_no < cfg.steps:
                prev = self.step_no
                record = self._rl_step()
                step = self.step_no  # advanced by updates_per_batch optimizer steps
                done = step >= cfg.steps
                stopping = stop.signum is not None or (stop_at_step is not None and step >= stop_at_step)
                if info.enabled:
                    flag = torch.tensor([1.0 if stopping else 0.0], device=self.device)
                    stopping = bool(all_reduce_sum(flag, info).item() > 0)
                if step // cfg.eval_every > prev // cfg.eval_every or done:
                    last_eval = self.evaluate_tasks()
                    if last_eval is not None:
                        record.update(
                            {
                                "heldout_pass@1": last_eval["pass@1"],
                                "heldout_reward": last_eval["reward_mean"],
                            }
                        )
                if log is not None:
                    log.log(record)
                if bar is not None:
                    bar.set_postfix(
                        {"reward": f"{record['reward_mean']:.3f}", "pass": f"{record['pass_rate']:.2f}"},
                        refresh=False,
                    )
                    bar.update(step - bar.n)
                if step // cfg.ckpt_every > prev // cfg.ckpt_every or done or stopping:
                    self.save()
                if stopping:
                    summary["stopped"] = (
                        signal.Signals(stop.signum).name if stop.signum else f"--stop-at-step {step}"
                    )
                    break
        if bar is not None:
            bar.close()
        if self.step_no >= cfg.steps:
            self._write_eval("after", last_eval if last_eval is not None else self.evaluate_tasks())
        if log is not None:
            log.close()
        self.judge.close()
        summary.update(
            step=self.step_no,
            heldout=last_eval,
            reward_mean=record.get("reward_mean") if self.step_no > summary["start_step"] else None,
        )
        return summary

    def _rl_step(self) -> dict[str, Any]:
        rl, info = self.rl, self.info
        hits = self.judge.hits
        rolls, adv, record = self._collect()
        record["judge_cache_hits"] = self.judge.hits - hits  # this rank's replies judged from the cache
        batches = policy_rows(rolls, adv, rl.micro_rows) if rolls else []
        local_tokens = sum(float(b["mask"].sum()) for b in batches)
        counts = torch.tensor([local_tokens, float(len(batches))], dtype=torch.float64, device=self.device)
        if info.enabled:
            torch.distributed.all_reduce(counts[1:], op=torch.distributed.ReduceOp.MAX)
            counts[:1] = all_reduce_sum(counts[:1], info)
        n_tokens, n_micro = float(counts[0]), max(int(counts[1]), 1)
        batches += [empty_rows() for _ in range(n_micro - len(batches))]  # every rank steps the same count
        for b in batches:
            b["n_tokens"] = max(n_tokens, 1.0)
        self._score_batches(batches)
        t0 = time.perf_counter()
        self._stats, self._entropy = [], torch.zeros((), device=self.device)
        for _ in range(rl.updates_per_batch):
            loss, grad_norm = self.step(batches)
        update_s = time.perf_counter() - t0
        st = self._stats[-len(batches) :]  # the last update's
        sums = torch.tensor(
            [sum(s.tokens for s in st), sum(s.clipped for s in st), sum(s.clipped_low for s in st),
             sum(s.clipped_high for s in st), sum(s.kl for s in st), float(self._entropy) / rl.updates_per_batch],
            dtype=torch.float64, device=self.device,
        )  # fmt: skip
        sums = all_reduce_sum(sums, info)
        tok = max(float(sums[0]), 1.0)
        record.update(
            step=self.step_no,
            loss=float(all_reduce_sum(loss.detach().double(), info)) / info.world_size,
            clip_frac=float(sums[1]) / tok,
            clip_low_frac=float(sums[2]) / tok,
            clip_high_frac=float(sums[3]) / tok,
            kl=float(sums[4]) / tok,
            entropy=float(sums[5]) / tok,
            train_tokens=int(sums[0]),
            update_s=update_s,
            lr_mult=self.schedule.multiplier(self.step_no - 1),
            grad_norm=float(grad_norm) if grad_norm is not None else None,
        )
        return record


def _logp(h: torch.Tensor, w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    from cppllm.loss import token_logprobs

    return token_logprobs(h, w, y)[0]
