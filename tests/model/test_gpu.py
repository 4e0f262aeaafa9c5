import pytest
import torch

from cppllm.model.config import get_preset
from cppllm.model.generate import generate
from cppllm.model.gpt import GPT


@pytest.mark.gpu
def test_bf16_autocast_training_step_and_cached_generation_on_cuda():
    cfg = get_preset("tiny", vocab_size=512, n_layer=2)
    model = GPT(cfg).cuda()
    idx = torch.randint(0, 512, (2, 128), device="cuda")
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = model(idx, idx)
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in model.parameters())
    with torch.autocast("cuda", dtype=torch.bfloat16):
        out = generate(model, [[1, 2, 3], [4]], 8, temperature=0)
    assert [len(o) for o in out] == [8, 8]
