"""Device and dtype choice, in one place: cuda -> mps -> cpu; bf16 autocast on CUDA, fp32 elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True, kw_only=True)
class DeviceInfo:
    device: torch.device
    dtype: torch.dtype  # parameter/master dtype
    autocast_dtype: torch.dtype | None  # None: no autocast

    @property
    def type(self) -> str:
        return self.device.type


def pick_device(name: str = "auto") -> DeviceInfo:
    """Resolve `auto|cpu|cuda|cuda:N|mps` to a device and its precision policy."""
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            name = "mps"
        else:
            name = "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(f"device {name!r} asked for, but CUDA is not available")
        bf16 = torch.cuda.is_bf16_supported()
        return DeviceInfo(
            device=device, dtype=torch.float32, autocast_dtype=torch.bfloat16 if bf16 else torch.float16
        )
    return DeviceInfo(device=device, dtype=torch.float32, autocast_dtype=None)
