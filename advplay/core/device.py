"""Choosing the torch device: only devices that exist are offered."""

from __future__ import annotations

import torch

from advplay.core.errors import ConfigError


def available_devices() -> list[str]:
    """Devices usable on this machine, ``cpu`` first."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def resolve_device(name: str) -> torch.device:
    """``auto`` picks cuda, then mps, then cpu; an unavailable device is a ConfigError."""
    devices = available_devices()
    if name == "auto":
        return torch.device(devices[1] if len(devices) > 1 else "cpu")
    if name not in devices:
        raise ConfigError("train.device", name,
                          f"is not available on this machine; available: {', '.join(devices)}, auto")
    return torch.device(name)
