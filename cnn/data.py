"""MNIST as in-memory tensors, and batched augmentation that imitates how people draw."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F


def default_data_dir() -> str:
    """`MNIST_ROOT` if set, else the shared copy beside the checkout if present, else ./data."""
    if os.environ.get("MNIST_ROOT"):
        return os.environ["MNIST_ROOT"]
    shared = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
    return str(shared) if (shared / "MNIST" / "raw").is_dir() else "data"


def load_mnist(root: str | os.PathLike, train: bool, download: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 1, 28, 28) float pixels in [0, 1] and (N,) int64 labels.

    torchvision downloads only when the raw files are missing from `root`/MNIST/raw.
    """
    from torchvision.datasets import MNIST  # imported here: the app never needs torchvision

    dataset = MNIST(root=str(root), train=train, download=download)
    return dataset.data.unsqueeze(1).float().div_(255), dataset.targets.clone()


@dataclass
class Augmentation:
    """Random distortions, each sampled per image, applied to a whole batch at once."""

    rotate_deg: float = 12.0  # people tilt digits; MNIST itself is fairly upright
    scale: float = 0.12  # relative size change; to_mnist fixes the size, so keep it small
    aspect: float = 0.1  # narrow and wide handwriting
    shear_deg: float = 12.0  # slanted handwriting
    shift_px: float = 2.0  # to_mnist centres by mass; this covers its residual error
    elastic_px: float = 0.7  # wobbly strokes (Simard et al. 2003); amplitude of the warp
    thicken: float = 0.8  # max blend towards a 1 px thicker pen (markers, fingers); 1.6 (to 2 px) measured no better
    thin: float = 0.4  # max blend towards a 1 px thinner pen; more breaks the loops of 9s and 8s


def augment(images: torch.Tensor, aug: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """Distort a batch (N, 1, 28, 28) with one affine + elastic warp and a stroke-width change."""
    n, device = images.shape[0], images.device

    def uniform(low: float, high: float) -> torch.Tensor:
        return torch.rand(n, generator=generator, device=device) * (high - low) + low

    angle = torch.deg2rad(uniform(-aug.rotate_deg, aug.rotate_deg))
    shear = torch.tan(torch.deg2rad(uniform(-aug.shear_deg, aug.shear_deg)))
    scale = uniform(1 - aug.scale, 1 + aug.scale)
    aspect = uniform(1 - aug.aspect, 1 + aug.aspect)
    # affine_grid maps output coordinates to input ones, in units of half the image (14 px).
    cos, sin = torch.cos(angle), torch.sin(angle)
    sx, sy = 1 / (scale * aspect), aspect / scale
    theta = torch.stack(
        [
            torch.stack([cos * sx, (-sin + shear * cos) * sx, uniform(-1, 1) * aug.shift_px / 14], 1),
            torch.stack([sin * sy, (cos + shear * sin) * sy, uniform(-1, 1) * aug.shift_px / 14], 1),
        ],
        1,
    )
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    if aug.elastic_px > 0:
        # A smooth random displacement field: coarse noise upsampled with bicubic interpolation.
        coarse = torch.randn(n, 2, 4, 4, generator=generator, device=device) * (aug.elastic_px / 14)
        grid = grid + F.interpolate(coarse, size=(28, 28), mode="bicubic", align_corners=False).permute(0, 2, 3, 1)
    warped = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    # Stroke width: blend towards a dilated (thicker pen) or eroded (thinner pen) copy.
    thick = F.max_pool2d(warped, 3, stride=1, padding=1)
    thin = -F.max_pool2d(-warped, 3, stride=1, padding=1)
    amount = uniform(-aug.thin, aug.thicken).view(n, 1, 1, 1)
    out = torch.lerp(warped, torch.where(amount > 0, thick, thin), amount.abs())
    # to_mnist scales every drawing so its darkest ink is 1; do the same here.
    return out.div_(out.amax(dim=(1, 2, 3), keepdim=True).clamp_(min=1e-6)).clamp_(0, 1)


def batches(num: int, batch_size: int, generator: torch.Generator, shuffle: bool = True):
    """Index tensors covering range(num) once, in shuffled order; the last batch may be short."""
    order = torch.randperm(num, generator=generator) if shuffle else torch.arange(num)
    return order.split(batch_size)


def normalize_batch_layout(images: torch.Tensor) -> torch.Tensor:
    """channels_last makes the convolutions about 1.5x faster on CPU (measured, benchmarks/)."""
    return images.contiguous(memory_format=torch.channels_last)
