"""README claim: an exported model gives identical greedy generations in transformers.

A random tiny model's logits can tie to ~1e-6, where fp32 summation order alone picks a different token
(`test_export.py` tolerates that). Here the head is scaled so every greedy step has a clear winner
(checked), and the whole generated sequence must then be equal token for token, with no tolerance.
"""

from __future__ import annotations

import pytest
import torch

from cppllm.model.config import get_preset
from cppllm.model.export import export_hf
from cppllm.model.generate import generate
from cppllm.model.gpt import GPT

transformers = pytest.importorskip("transformers")

MIN_GAP = 1e-2  # top-1 minus top-2 logit at every greedy step: far above fp32 noise (~1e-6)


@pytest.mark.parametrize("kw", [dict(), dict(n_kv_head=4), dict(yarn=True)])
def test_exported_model_greedy_generation_is_identical(tmp_path, kw):
    from transformers import LlamaForCausalLM

    torch.manual_seed(0)
    cfg = dict(vocab_size=320, n_layer=2, n_embd=64, n_head=4, n_kv_head=2, head_dim=16, max_seq_len=64)
    cfg.update({k: v for k, v in kw.items() if k != "yarn"})
    model = GPT(get_preset("tiny", **cfg, tie_embeddings=False)).eval()
    with torch.no_grad():
        model.lm_head.weight.mul_(20.0)  # spread the logits: no near-ties for the greedy argmax
    if kw.get("yarn"):
        yarn = GPT(model.config.with_yarn(4), init=False)
        yarn.load_state_dict(model.state_dict())
        model = yarn.eval()
    export_hf(model, tmp_path / "hf")
    hf = LlamaForCausalLM.from_pretrained(tmp_path / "hf", dtype=torch.float32).eval()

    for seed in range(3):
        prompt = torch.randint(0, 320, (1, 8), generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            out = hf.generate(
                prompt,
                max_new_tokens=24,
                do_sample=False,
                eos_token_id=None,
                pad_token_id=2,
                output_scores=True,
                return_dict_in_generate=True,
            )
        ref = out.sequences[0, 8:].tolist()
        gaps = [s[0].topk(2).values for s in out.scores]
        assert min((v[0] - v[1]).item() for v in gaps) > MIN_GAP, "a near-tie: the test would not be exact"
        ours = generate(model, [prompt[0].tolist()], 24, temperature=0)[0]
        assert ours == ref
