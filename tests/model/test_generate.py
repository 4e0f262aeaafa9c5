import pytest
import torch

from cppllm.model.config import get_preset
from cppllm.model.generate import filter_logits, generate
from cppllm.model.gpt import GPT
from cppllm.model.kv_cache import KVCache

V = 61


def model_for(**kw):
    base = dict(vocab_size=V, n_layer=2, n_embd=64, n_head=4, n_kv_head=2, head_dim=16, max_seq_len=64)
    return GPT(get_preset("tiny", **{**base, **kw})).eval()


@pytest.mark.parametrize("kw", [dict(), dict(qk_norm=True, n_kv_head=1)])
def test_prefill_plus_decode_equals_full_forward(kw):
    model = model_for(**kw)
    idx = torch.randint(0, V, (2, 20))
    full = model(idx)
    cache = KVCache(model.config, 2, 20)
    parts = [model(idx[:, :7], cache=cache)]  # prefill
    parts.append(model(idx[:, 7:10], cache=cache))  # a chunk after the prefill (needs an offset mask)
    parts += [model(idx[:, t : t + 1], cache=cache) for t in range(10, 20)]  # one token at a time
    torch.testing.assert_close(torch.cat(parts, 1), full, atol=1e-5, rtol=1e-5)


def test_left_padded_rows_match_unpadded_runs():
    model = model_for()
    a, b = torch.randint(0, V, (1, 12)), torch.randint(0, V, (1, 5))
    cache = KVCache(model.config, 2, 16, left_pad=[0, 7])
    batch = torch.cat([a, torch.cat([torch.zeros(1, 7, dtype=torch.long), b], 1)])
    out = model(batch, cache=cache)
    torch.testing.assert_close(out[0], model(a)[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out[1, 7:], model(b)[0], atol=1e-5, rtol=1e-5)
    nxt = torch.randint(0, V, (2, 1))
    step = model(nxt, cache=cache)[:, -1]
    torch.testing.assert_close(step[1], model(torch.cat([b, nxt[1:]], 1))[0, -1], atol=1e-5, rtol=1e-5)


def test_greedy_generate_matches_argmax_loop_and_batching():
    model = model_for()
    prompts = [[1, 2, 3, 4, 5, 6], [7, 8], [9, 10, 11]]
    outs = generate(model, prompts, 8, temperature=0)
    for p, o in zip(prompts, outs, strict=True):
        seq = list(p)
        for _ in range(8):
            seq.append(int(model(torch.tensor([seq]))[0, -1].argmax()))
        assert o == seq[len(p) :]
        assert generate(model, [p], 8, temperature=0)[0] == o


def test_eos_and_stop_strings_and_seed():
    model = model_for()
    prompt = [[3, 4, 5]]
    ref = generate(model, prompt, 10, temperature=0)[0]
    cut = generate(model, prompt, 10, temperature=0, eos_id=ref[3])[0]
    assert cut == ref[: ref.index(ref[3])]
    decode = lambda ids: " ".join(f"t{i}" for i in ids)  # noqa: E731
    stop = generate(model, prompt, 10, temperature=0, stop_strings=[f"t{ref[2]}"], decode=decode)[0]
    assert stop == ref[: ref.index(ref[2]) + 1]
    s1 = generate(model, prompt * 2, 10, temperature=1.0, top_k=20, top_p=0.9, seed=1)
    s2 = generate(model, prompt * 2, 10, temperature=1.0, top_k=20, top_p=0.9, seed=1)
    assert s1 == s2 and all(len(s) == 10 for s in s1)
    with pytest.raises(ValueError, match="max_seq_len"):
        generate(model, prompt, 100)
    with pytest.raises(ValueError, match="decode"):
        generate(model, prompt, 3, stop_strings=["x"])


def test_filter_logits_top_k_top_p():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert torch.isinf(filter_logits(logits, top_k=2)[0, 2:]).all()
    kept = ~torch.isinf(filter_logits(logits, top_p=0.7)[0])
    assert kept.tolist() == [True, True, False, False]
    kept = ~torch.isinf(filter_logits(logits, top_p=0.1)[0])
    assert kept.tolist() == [True, False, False, False]
