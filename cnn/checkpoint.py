"""Atomic file writes, and the training state saved each epoch so `train.py --resume` can go on.

The training state is a safetensors file (tensors) with JSON metadata (everything else):
no pickle anywhere, so a checkpoint is as safe to open as the published weights.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from safetensors import safe_open


def _umask() -> int:
    """The process umask (os.umask can only read it by setting it, so set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[Path], Any]) -> None:
    """Call write(tmp_path) then rename tmp_path onto `path`: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp (and some writers) make 0600; use the usual permissions
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _flatten(prefix: str, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    # clone(): safetensors refuses tensors that share memory (an EMA copy may alias).
    return {f"{prefix}.{key}": value.detach().clone().contiguous() for key, value in state.items()}


def _unflatten(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    start = len(prefix) + 1
    return {key[start:]: value for key, value in tensors.items() if key.startswith(prefix + ".")}


def save_training_state(
    path: str | os.PathLike,
    *,
    model: torch.nn.Module,
    ema: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    generator: torch.Generator,
    info: dict[str, Any],
) -> None:
    """Everything needed to continue a run exactly where it stopped, written atomically."""
    optim_state = optimizer.state_dict()
    tensors = {
        **_flatten("model", model.state_dict()),
        **_flatten("ema", ema.state_dict()),
        "rng.data": generator.get_state(),
        "rng.torch": torch.get_rng_state(),
    }
    for index, param_state in optim_state["state"].items():
        tensors.update(_flatten(f"optim.{index}", param_state))
    metadata = {
        "info": json.dumps(info),
        "optimizer_param_groups": json.dumps(optim_state["param_groups"]),
        "scheduler": json.dumps(scheduler.state_dict()),
    }
    atomic_write(path, lambda tmp: save_file(tensors, str(tmp), metadata=metadata))


def load_training_state(
    path: str | os.PathLike,
    *,
    model: torch.nn.Module,
    ema: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    generator: torch.Generator,
) -> dict[str, Any]:
    """Restore what save_training_state wrote; returns its `info` dict."""
    tensors = load_file(str(path))
    with safe_open(str(path), framework="pt") as f:
        metadata = f.metadata()
    model.load_state_dict(_unflatten("model", tensors))
    ema.load_state_dict(_unflatten("ema", tensors))
    param_groups = json.loads(metadata["optimizer_param_groups"])
    indices = [index for group in param_groups for index in group["params"]]
    optim_state = {index: _unflatten(f"optim.{index}", tensors) for index in indices}
    optimizer.load_state_dict({"state": {k: v for k, v in optim_state.items() if v}, "param_groups": param_groups})
    scheduler.load_state_dict(json.loads(metadata["scheduler"]))
    generator.set_state(tensors["rng.data"])
    torch.set_rng_state(tensors["rng.torch"])
    return json.loads(metadata["info"])

