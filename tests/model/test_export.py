import json

import pytest
import torch

from cppllm.model.checkpoint import save_checkpoint_model
from cppllm.model.config import get_preset
from cppllm.model.export import UnsupportedExport, export_gguf, export_hf, main, unpermute_from_gguf
from cppllm.model.gpt import GPT
from cppllm.tokenizer.chat import CHAT_TEMPLATE_PLAIN
from cppllm.tokenizer.special import END_TURN_ID

transformers = pytest.importorskip("transformers")

CPP = [
    "#include <vector>\nint main() { std::vector<int> v{1, 2, 3}; return v.size(); }\n",
    "template <typename T> T add(T a, T b) { return a + b; }\n",
    "struct Point { double x, y; };\nstatic_assert(sizeof(Point) == 16);\n",
] * 4


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory):
    from cppllm.tokenizer.tokenizer import train_tokenizer

    d = tmp_path_factory.mktemp("tok")
    train_tokenizer(CPP, 320, min_frequency=1).save(d)
    return d


def tiny_model(**kw):
    base = dict(vocab_size=320, n_layer=2, n_embd=64, n_head=4, n_kv_head=2, head_dim=16, max_seq_len=64)
    return GPT(get_preset("tiny", **{**base, **kw})).eval()


def _assert_same_greedy(hf, prompt, ours: list[int], ref: list[int]) -> None:
    """Greedy outputs agree; a random tiny model's logits can tie to ~1e-6, and a different pick
    there is a tie-break (fp32 summation order), not a different model: the sequences agree up to it."""
    n = next((i for i, (a, b) in enumerate(zip(ours, ref, strict=True)) if a != b), None)
    if n is None:
        return
    with torch.no_grad():
        logits = hf(torch.tensor([prompt[0].tolist() + ref[:n]])).logits[0, -1]
    gap = (logits[ref[n]] - logits[ours[n]]).abs().item()
    assert gap < 1e-4, f"greedy outputs differ at {n} by a logit gap of {gap}: {ours} vs {ref}"


@pytest.mark.parametrize("kw", [dict(), dict(tie_embeddings=False, n_kv_head=4), dict(yarn=True)])
def test_hf_export_parity_and_greedy_generation(tmp_path, tokenizer_dir, kw):
    from transformers import AutoTokenizer, LlamaForCausalLM

    from cppllm.model.generate import generate

    kw = dict(kw)
    model = tiny_model(**{k: v for k, v in kw.items() if k != "yarn"})
    if kw.get("yarn"):
        m2 = GPT(model.config.with_yarn(4), init=False)
        m2.load_state_dict(model.state_dict())
        model = m2.eval()
    export_hf(model, tmp_path / "hf", tokenizer_dir)
    hf = LlamaForCausalLM.from_pretrained(tmp_path / "hf", dtype=torch.float32).eval()
    assert hf.config.tie_word_embeddings == model.config.tie_embeddings
    idx = torch.randint(0, 320, (2, 40))
    with torch.no_grad():
        diff = (hf(idx).logits - model(idx)).abs().max().item()
    assert diff < 1e-4
    prompt = idx[:1, :10]
    with torch.no_grad():
        ref = hf.generate(prompt, max_new_tokens=12, do_sample=False, eos_token_id=None, pad_token_id=2)
    ours = generate(model, [prompt[0].tolist()], 12, temperature=0)[0]
    _assert_same_greedy(hf, prompt, ours, ref[0, 10:].tolist())
    tok = AutoTokenizer.from_pretrained(tmp_path / "hf")
    from cppllm.tokenizer.tokenizer import CppTokenizer

    text = CPP[0]
    assert tok(text)["input_ids"] == CppTokenizer.load(tokenizer_dir).encode(text)
    assert json.loads((tmp_path / "hf" / "generation_config.json").read_text())["eos_token_id"] == 1


def test_unsupported_features_fail_clearly(tmp_path):
    with pytest.raises(UnsupportedExport, match="qk_norm"):
        export_hf(tiny_model(qk_norm=True), tmp_path / "hf")
    with pytest.raises(UnsupportedExport, match="qk_norm"):
        export_gguf(tiny_model(qk_norm=True), tmp_path / "m.gguf")
    assert not (tmp_path / "hf").exists() and not (tmp_path / "m.gguf").exists()


def test_gguf_export_reads_back(tmp_path, tokenizer_dir):
    from gguf import GGUFReader

    model = GPT(tiny_model(tie_embeddings=False).config.with_yarn(2), init=False)
    model.init_weights(1)
    path = export_gguf(model, tmp_path / "m.gguf", tokenizer_dir)
    r = GGUFReader(str(path))
    f = lambda k: r.get_field(k).contents()  # noqa: E731
    assert f("general.architecture") == "llama"
    assert f("llama.block_count") == 2 and f("llama.attention.head_count_kv") == 2
    assert f("llama.embedding_length") == 64 and f("llama.feed_forward_length") == model.config.mlp_hidden
    assert f("llama.rope.scaling.type") == "yarn" and f("llama.rope.scaling.factor") == 2.0
    assert f("llama.rope.scaling.original_context_length") == 64 and f("llama.context_length") == 128
    assert f("llama.rope.scaling.yarn_beta_fast") == 32.0
    tensors = {t.name: t for t in r.tensors}
    assert set(tensors) == {"token_embd.weight", "output_norm.weight", "output.weight"} | {
        f"blk.{i}.{n}.weight"
        for i in range(2)
        for n in (
            "attn_norm",
            "ffn_norm",
            "attn_q",
            "attn_k",
            "attn_v",
            "attn_output",
            "ffn_gate",
            "ffn_up",
            "ffn_down",
        )
    }
    assert list(tensors["blk.0.attn_k.weight"].shape) == [64, 32]  # GGUF lists dims innermost first
    q = torch.from_numpy(tensors["blk.1.attn_q.weight"].data.copy()).reshape(64, 64)
    torch.testing.assert_close(unpermute_from_gguf(q, 4), model.blocks[1].attn.q_proj.weight.detach())
    k = torch.from_numpy(tensors["blk.1.attn_k.weight"].data.copy()).reshape(32, 64)
    torch.testing.assert_close(unpermute_from_gguf(k, 2), model.blocks[1].attn.k_proj.weight.detach())
    tokens = f("tokenizer.ggml.tokens")
    assert len(tokens) == 320 and tokens[1] == "<|eos|>" and f("tokenizer.ggml.eos_token_id") == 1
    assert f("tokenizer.ggml.model") == "gpt2" and len(f("tokenizer.ggml.merges")) > 0
    assert (
        f("tokenizer.chat_template") == CHAT_TEMPLATE_PLAIN
        and f("tokenizer.ggml.eot_token_id") == END_TURN_ID
    )


def test_export_cli(tmp_path, tokenizer_dir, capsys):
    model = tiny_model()
    save_checkpoint_model(model, tmp_path / "ckpt" / "step_000001")
    ckpt = str(tmp_path / "ckpt" / "step_000001")
    assert (
        main(
            [
                "--ckpt",
                ckpt,
                "--format",
                "hf",
                "--out",
                str(tmp_path / "hf"),
                "--tokenizer",
                str(tokenizer_dir),
            ]
        )
        == 0
    )
    assert (tmp_path / "hf" / "model.safetensors").is_file() and (
        tmp_path / "hf" / "tokenizer.json"
    ).is_file()
    assert main(["--ckpt", ckpt, "--format", "gguf", "--out", str(tmp_path / "g"), "--dtype", "fp16"]) == 0
    assert len(list((tmp_path / "g").glob("*.gguf"))) == 1
    assert "no tokenizer" in capsys.readouterr().out
    assert main(["--ckpt", str(tmp_path / "missing"), "--format", "hf", "--out", str(tmp_path / "x")]) == 1
    with pytest.raises(SystemExit):
        main(["--ckpt", ckpt, "--format", "onnx", "--out", str(tmp_path / "x")])
