import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    # The dev boxes are shared: intra-op threads spinning against other processes make tiny models ~10x slower.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
