"""Batched training augmentations that imitate how people draw, and synthetic non-digits.

Everything works on whole batches of (N, 1, 28, 28) MNIST-layout tensors, on any device:
- `restyle`: strokes MNIST under-represents, added to training digits: a flag and a foot on
  1s, a crossbar on 7s, a slash through 0s;
- `retrace`: the digit's centre line drawn again with a uniform round pen, as a sketchpad draws;
- `distort`: rotation, scale, aspect, shear, shift, a smooth elastic warp and a pen-width change;
- `non_digits`: stroke soups, for outlier exposure.

The benchmarks (`benchmarks/drawings.py`) draw their test images with their own code from MNIST
*test* digits and their own templates; nothing here is shared with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass
class Augmentation:
    """Random distortions, each sampled per image, applied to a whole batch at once. train.py's
    augmentation settings (--clean, --retrace, --flagged-ones, ...) default to these; calibration
    uses the defaults as they are."""

    rotate_deg: float = 12.0  # people tilt digits; MNIST itself is fairly upright
    scale: float = 0.12  # relative size change; to_mnist fixes the size, so keep it small
    aspect: float = 0.1  # narrow and wide handwriting
    shear_deg: float = 12.0  # slanted handwriting
    shift_px: float = 2.0  # to_mnist centres by mass; this covers its residual error
    elastic_px: float = 0.7  # wobbly strokes (Simard et al. 2003); amplitude of the warp
    thicken: float = 0.8  # max blend towards a 1 px thicker pen (markers, fingers); 1.6 (to 2 px) measured no better
    thin: float = 0.4  # max blend towards a 1 px thinner pen; more breaks the loops of 9s and 8s
    retrace: float = 0.4  # share of digits redrawn along their centre line with a uniform pen
    retrace_widest: float = 4.5  # px at 28x28 (about a fifth of MNIST's 20 px digit), the widest of those pens
    narrow_ones_sevens: bool = False  # 1s and 7s keep pens of at most 4.5 px whatever retrace_widest (a candidate: bold 1s and 7s may blur their boundary); not shipped (BENCHMARKS.md)
    clean: float = 0.0  # share of digits left as MNIST drew them (styles still added): for the clean digits' accuracy
    slanted_flags: bool = False  # a 1's flag and foot turn with the stem's slant, as a slanted hand draws them; not shipped (BENCHMARKS.md)
    styles: float = 0.5  # share of 1s, 7s and 0s given a flag (and a foot), a crossbar, a slash: many MNIST 7s look like flagged 1s, so the model needs many of these
    flagged_ones: float = 0.5  # share of 1s given a flag (with `styles` for 7s and 0s)
    feet: float = 0.5  # share of the flagged 1s that also get a foot
    hooked_ones: float = 0.0  # share of the other 1s given a short hook (0.1-0.3 of the height) at the top, as many hands draw a 1


def _uniform(n: int, low: float, high: float, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=device) * (high - low) + low


def draw_segments(start: torch.Tensor, end: torch.Tensor, width: torch.Tensor, side: int = 28) -> torch.Tensor:
    """Anti-aliased round-capped segments: start, end (N, S, 2) as (x, y) px, width (N,) px.

    Returns (N, 1, side, side) ink in [0, 1]: the union of each image's S segments. A segment
    whose start equals its end draws a dot.
    """
    axis = torch.arange(side, device=start.device, dtype=start.dtype)
    grid = torch.stack(torch.meshgrid(axis, axis, indexing="xy"), -1).view(1, 1, side * side, 2)
    p, d = start.unsqueeze(2), (end - start).unsqueeze(2)
    t = (((grid - p) * d).sum(-1) / (d * d).sum(-1).clamp(min=1e-6)).clamp(0, 1)
    distance = (grid - (p + t.unsqueeze(-1) * d)).norm(dim=-1).amin(dim=1)
    ink = (width.view(-1, 1) / 2 + 0.5 - distance).clamp(0, 1)
    return ink.view(-1, 1, side, side)


def _ink_extent(images: torch.Tensor, level: float = 0.3) -> tuple[torch.Tensor, ...]:
    """Per image: top, bottom, left, right of the ink, and the ink's mean x in its top and bottom rows."""
    ink = images[:, 0] > level
    rows, cols = ink.any(2), ink.any(1)
    index = torch.arange(28, device=images.device, dtype=images.dtype)
    top = torch.where(rows, index, torch.full_like(index, 99)).amin(1)
    bottom = torch.where(rows, index, torch.full_like(index, -1)).amax(1)
    left = torch.where(cols, index, torch.full_like(index, 99)).amin(1)
    right = torch.where(cols, index, torch.full_like(index, -1)).amax(1)

    def mean_x_near(row: torch.Tensor) -> torch.Tensor:
        band = ((index.view(1, 28) - row.view(-1, 1)).abs() <= 1.5).unsqueeze(2) & ink
        weight = band.sum((1, 2)).clamp(min=1)
        return (band * index.view(1, 1, 28)).sum((1, 2)) / weight

    return top, bottom, left, right, mean_x_near(top), mean_x_near(bottom)


def restyle(images: torch.Tensor, labels: torch.Tensor, aug: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """Add the strokes of styles MNIST rarely shows to some of its 1s, 7s and 0s: European 1s
    (a long flag from the top, sometimes a foot), crossed 7s and slashed 0s, in the shares `aug`
    gives, and short hooks on some of the other 1s; with `aug.slanted_flags`, a 1's flag and foot
    are turned by the stem's own slant."""
    n, device = len(images), images.device
    share = torch.where(labels == 1, aug.flagged_ones, aug.styles)
    chosen = torch.rand(n, generator=generator, device=device) < share
    chosen &= (labels == 1) | (labels == 7) | (labels == 0)
    hooked = torch.zeros_like(chosen)
    if aug.hooked_ones > 0:  # (no random draw at 0: earlier recipes stay reproducible)
        hooked = (torch.rand(n, generator=generator, device=device) < aug.hooked_ones) & (labels == 1) & ~chosen
        chosen |= hooked
    if not chosen.any():
        return images
    pick = chosen.nonzero().squeeze(1)
    x, label, m, hooks = images[pick], labels[pick], len(pick), hooked[pick]
    top, bottom, left, right, top_x, bottom_x = _ink_extent(x)
    height = (bottom - top).clamp(min=8)
    u = lambda low, high: _uniform(m, low, high, generator, device)  # noqa: E731

    # Two segments per image; an unused one is a dot hidden under the digit's own ink.
    start = torch.stack([top_x, top], 1).unsqueeze(1).repeat(1, 2, 1)
    end = start.clone()
    ones, sevens, zeros = label == 1, label == 7, label == 0
    # 1: a long flag from the top of the stem, down and to the left, 35-65 degrees below the
    # horizontal: steeper than a 7's bar, which is what tells the two apart.
    angle = torch.deg2rad(u(35, 65))
    # slanted_flags: a hand that slants its stems (top to the right: "/", the usual slant) slants
    # the whole 1, so the flag turns with the stem and keeps its angle to it. At fixed angles a
    # slanted MNIST 1 gets a flag nearly along its stem. (Measured: BENCHMARKS.md, candidates.)
    lean = torch.atan2(top_x - bottom_x, height).clamp(-0.5, 0.5) if aug.slanted_flags else torch.zeros_like(angle)
    length = height * u(0.35, 0.7)
    if aug.hooked_ones > 0:
        # A short hook: with long flags alone, hooked 1s drawn on the page read 0.82-0.98 (not
        # always sure). Not shipped: it cost the long-flagged 1 (BENCHMARKS.md, the hook candidate).
        length = torch.where(hooks, height * u(0.1, 0.3), length)
    flag = torch.stack([top_x - length * torch.cos(angle - lean), top + length * torch.sin(angle - lean)], 1)
    end[:, 0] = torch.where(ones.unsqueeze(1), flag, end[:, 0])
    # ...and some of those a foot across the bottom of the stem.
    foot = ones & ~hooks & (torch.rand(m, generator=generator, device=device) < aug.feet)
    half = height * u(0.2, 0.3)
    across = torch.stack([half * torch.cos(lean), half * torch.sin(lean)], 1)
    base = torch.stack([bottom_x, bottom], 1)
    start[:, 1] = torch.where(foot.unsqueeze(1), base - across, start[:, 1])
    end[:, 1] = torch.where(foot.unsqueeze(1), base + across, end[:, 1])
    # 7: a crossbar across the middle of the stroke, a little tilted.
    mid_y = top + height * u(0.45, 0.6)
    mid_x = _ink_extent(x * ((torch.arange(28, device=device).view(1, 1, 28, 1) - mid_y.view(-1, 1, 1, 1)).abs() <= 1.5))[4]
    tilt = height * u(-0.06, 0.06)
    bar = torch.stack([mid_x - half, mid_y + tilt, mid_x + half, mid_y - tilt], 1)
    start[:, 0] = torch.where(sevens.unsqueeze(1), bar[:, :2], start[:, 0])
    end[:, 0] = torch.where(sevens.unsqueeze(1), bar[:, 2:], end[:, 0])
    # 0: a slash from below the bottom left to above the top right.
    over = height * u(0.0, 0.12)
    slash = torch.stack([left - over / 2, bottom + over, right + over / 2, top - over], 1)
    start[:, 0] = torch.where(zeros.unsqueeze(1), slash[:, :2], start[:, 0])
    end[:, 0] = torch.where(zeros.unsqueeze(1), slash[:, 2:], end[:, 0])

    pen = u(1.6, 2.6)  # MNIST's strokes are about 2 px wide
    strokes = draw_segments(start.clamp(1, 26), end.clamp(1, 26), pen)
    out = images.clone()
    out[pick] = torch.maximum(x, strokes)
    return out


def _thinning_tables() -> torch.Tensor:
    """(2, 256) Zhang-Suen's rule for each of its two sub-steps: 1 where a pixel whose eight
    neighbours P2..P9 (clockwise from north) spell the index in binary is to be removed."""
    table = torch.zeros(2, 256)
    for code in range(256):
        n = [(code >> i) & 1 for i in range(8)]
        count = sum(n)
        transitions = sum((1 - n[i]) * n[(i + 1) % 8] for i in range(8))
        p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
        if 2 <= count <= 6 and transitions == 1:
            table[0, code] = float(not (p2 and p4 and p6) and not (p4 and p6 and p8))
            table[1, code] = float(not (p2 and p4 and p8) and not (p2 and p6 and p8))
    return table


THINNING = _thinning_tables()
# Weights that turn a pixel's 3x3 neighbourhood into the table index: P2 (north) = 1, P3 = 2, ...
NEIGHBOUR_CODE = torch.tensor([[128.0, 1.0, 2.0], [64.0, 0.0, 4.0], [32.0, 16.0, 8.0]]).view(1, 1, 3, 3)


def centre_lines(ink: torch.Tensor, iterations: int = 6) -> torch.Tensor:
    """Zhang-Suen thinning of a batch of (N, 1, H, W) 0/1 images, a fixed number of passes
    (enough for strokes up to 2 x iterations px wide)."""
    skeleton = ink.clone()
    weights, tables = NEIGHBOUR_CODE.to(ink), THINNING.to(ink)
    for _ in range(iterations):
        for step in (0, 1):
            code = F.conv2d(skeleton, weights, padding=1).long()
            skeleton = skeleton - skeleton * tables[step][code]
    return skeleton


def retrace(images: torch.Tensor, share: float, generator: torch.Generator, widest: float | torch.Tensor = 4.5) -> torch.Tensor:
    """Redraw a `share` of the digits along their centre line with a round pen of uniform width
    (1.5 px to `widest` at 28x28, in steps of 1 px), drawn at 2x and reduced (anti-aliased).
    `widest` is one number for all, or one per image."""
    n, device = len(images), images.device
    chosen = (torch.rand(n, generator=generator, device=device) < share).nonzero().squeeze(1)
    if len(chosen) == 0:
        return images
    big = F.interpolate(images[chosen], scale_factor=2, mode="bilinear", align_corners=False)
    skeleton = centre_lines((big > 0.4).to(images.dtype))
    if isinstance(widest, torch.Tensor):
        each = (widest[chosen] - 0.5).round().clamp(min=1)  # a disc of radius r is 2r + 1 px wide at 2x
        radius = (torch.rand(len(chosen), generator=generator, device=device) * each).long() + 1
        largest = int(each.max())
    else:  # (torch.randint: the draws of the recipes trained before per-image pens)
        largest = max(1, round(widest - 0.5))
        radius = torch.randint(1, largest + 1, (len(chosen),), generator=generator, device=device)
    drawn = torch.zeros_like(skeleton)
    for r in range(1, largest + 1):
        axis = torch.arange(-r, r + 1, device=device, dtype=images.dtype)
        disk = ((axis.view(-1, 1) ** 2 + axis.view(1, -1) ** 2) <= r * r + r).to(images.dtype)
        same = radius == r
        drawn[same] = (F.conv2d(skeleton[same], disk.view(1, 1, 2 * r + 1, 2 * r + 1), padding=r) > 0).to(images.dtype)
    out = images.clone()
    out[chosen] = F.avg_pool2d(drawn, 2)
    return out


def distort(images: torch.Tensor, aug: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """One affine + elastic warp and a stroke-width change per image."""
    n, device = images.shape[0], images.device
    u = lambda low, high: _uniform(n, low, high, generator, device)  # noqa: E731

    angle = torch.deg2rad(u(-aug.rotate_deg, aug.rotate_deg))
    shear = torch.tan(torch.deg2rad(u(-aug.shear_deg, aug.shear_deg)))
    scale = u(1 - aug.scale, 1 + aug.scale)
    aspect = u(1 - aug.aspect, 1 + aug.aspect)
    # affine_grid maps output coordinates to input ones, in units of half the image (14 px).
    cos, sin = torch.cos(angle), torch.sin(angle)
    sx, sy = 1 / (scale * aspect), aspect / scale
    theta = torch.stack(
        [
            torch.stack([cos * sx, (-sin + shear * cos) * sx, u(-1, 1) * aug.shift_px / 14], 1),
            torch.stack([sin * sy, (cos + shear * sin) * sy, u(-1, 1) * aug.shift_px / 14], 1),
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
    amount = u(-aug.thin, aug.thicken).view(n, 1, 1, 1)
    return torch.lerp(warped, torch.where(amount > 0, thick, thin), amount.abs())


def augment(images: torch.Tensor, labels: torch.Tensor, aug: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """Styles, then a uniform pen, then the geometric and pen-width distortions; ink peaks at 1."""
    styled = restyle(images, labels, aug, generator)
    widest = aug.retrace_widest
    if aug.narrow_ones_sevens:
        narrow = min(widest, Augmentation.retrace_widest)  # the default's pens
        widest = torch.where((labels == 1) | (labels == 7), narrow, widest).to(images.dtype)
    images = retrace(styled, aug.retrace, generator, widest)
    out = distort(images, aug, generator)
    if aug.clean > 0:  # (no random draw at 0: earlier recipes stay reproducible)
        keep = torch.rand(len(out), generator=generator, device=out.device) < aug.clean
        out[keep] = styled[keep]
    # to_mnist scales every drawing so its darkest ink is 1; do the same here.
    return out.div_(out.amax(dim=(1, 2, 3), keepdim=True).clamp_(min=1e-6)).clamp_(0, 1)


def non_digits(count: int, generator: torch.Generator, device: torch.device | str = "cpu") -> torch.Tensor:
    """`count` stroke soups that are no digit, for outlier exposure: three to five separate
    straight strokes, 6 to 16 px long, anywhere in the digit box. (Overlapping pairs of training
    digits were tried too: they teach that a digit with an extra stroke is no digit, which is
    what a European 1 or a crossed 7 is; validation accuracy fell from 99.56% to 99.36% over
    the last epochs with them.)"""
    start = torch.rand(count, 5, 2, generator=generator, device=device) * 20 + 4
    angle = torch.rand(count, 5, generator=generator, device=device) * 2 * math.pi
    length = torch.rand(count, 5, 1, generator=generator, device=device) * 10 + 6
    end = (start + length * torch.stack([angle.cos(), angle.sin()], -1)).clamp(2, 25)
    # Unused strokes (beyond the three to five drawn) shrink to a dot on the first stroke's start.
    unused = torch.arange(5, device=device).view(1, -1) >= torch.randint(3, 6, (count, 1), generator=generator, device=device)
    start = torch.where(unused.unsqueeze(2), start[:, :1], start)
    end = torch.where(unused.unsqueeze(2), start[:, :1], end)
    return draw_segments(start, end, _uniform(count, 1.5, 3.0, generator, device))
