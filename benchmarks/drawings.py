"""Benchmark drawings: canvases as the sketchpad or an upload sends them, made only for measuring.

Kept apart from training on purpose. Nothing here is imported by `train.py` or `cnn/augment.py`,
and nothing here reads MNIST's training digits:
- `pen_set` (a) retraces MNIST *test* digits along their centre line with a uniform round pen;
- `style_set` (b) draws digit styles MNIST under-represents from stroke templates written for
  this file (training's style augmentation adds its strokes to MNIST digits by other code);
- `canvas_set` (c) is the project's earlier canvas redraw (`cnn/redraw.py`), on MNIST test digits;
- `non_digit_set` (d) draws capital letters, scribbles and shapes;
- `scan_set` (e) and `font_set` (f) are other people's digits: scikit-learn's bundled scans of 43
  writers and the DejaVu fonts, evaluation material only;
- `photo_set` (g) retraces MNIST *test* digits as (a) does, then makes each a phone photo of a
  page: plain, ruled or squared paper, unevenly lit, noisy, half of them JPEG; with `desk` (h),
  the page lies on a desk (wood, dark, grey or white) that the photo shows along 1-4 sides; with
  `margin` (i), the page is ruled notebook or legal-pad paper with its red margin line (or a header
  line) beside, through or above the digit;
- `framed_set` (j) retraces MNIST *test* digits as (g) does, inside a printed box (a form's box),
  cropped to the box or with paper around it;
- `marked_set` (k) retraces MNIST *test* digits as (a) does, then underlines them once or twice,
  or rings them, with the same pen, apart from the digit or touching it;
- `number_set` draws numbers of 2-6 digits (bench_numbers.py), and `number_photos` photographs
  them as `photo_set` does, every other one on a desk.

Every canvas is square (300-800 px), black ink on white or on a transparent layer, the digit
20-80% of the canvas tall, anywhere, with a small random rotation, slant and aspect change (the
photos of (h) are that canvas with the page and desk around it, up to 2.5 times as large).
Same seed, same images.
"""

from __future__ import annotations

import io
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cnn.ink import ink_map  # noqa: E402
from cnn.redraw import centre_line, random_stroke, redraw  # noqa: E402
from examples.strokes import smooth  # noqa: E402

Polyline = np.ndarray  # (K, 2) points (x, y), y down


@dataclass(frozen=True)
class Drawing:
    image: Image.Image | None  # None once read: bench_drawings keeps only what its tables need
    label: int  # the digit; -1 for a non-digit
    kind: str  # the style or non-digit kind; "mnist" for sets (a) and (c)
    pen_ratio: float  # pen width / digit height (0 when the pen is not uniform)
    source: int = -1  # sets (a) and (c): the index of the MNIST digit it was drawn from


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 16) -> list[tuple[float, float]]:
    """Points on an ellipse, angles in degrees, 0 = right, 90 = down."""
    return [
        (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
        for a in np.linspace(start, end, n)
    ]


# Digit styles MNIST under-represents, in a unit box (x right, y down). Each a list of strokes.
STYLES: dict[str, tuple[int, list[list[tuple[float, float]]]]] = {
    "european 1 (flag)": (1, [[(0.2, 0.42), (0.6, 0.0), (0.6, 1.0)]]),
    "european 1 (flag, foot)": (1, [[(0.22, 0.4), (0.6, 0.0), (0.6, 1.0)], [(0.3, 1.0), (0.9, 1.0)]]),
    "1 with base serif": (1, [[(0.35, 0.15), (0.52, 0.0), (0.52, 1.0)], [(0.22, 1.0), (0.82, 1.0)]]),
    "7 with crossbar": (7, [[(0.1, 0.05), (0.9, 0.05), (0.42, 1.0)], [(0.38, 0.52), (0.88, 0.5)]]),
    "slashed 0": (0, [_arc(0.5, 0.5, 0.34, 0.48, -90, 270, 20), [(0.12, 0.98), (0.88, 0.02)]]),
    "open-top 4": (4, [[(0.18, 0.0), (0.1, 0.62), (0.92, 0.62)], [(0.7, 0.05), (0.7, 1.0)]]),
    "straight-stem 9": (9, [_arc(0.5, 0.27, 0.32, 0.26, 0, 360, 18), [(0.82, 0.27), (0.82, 1.0)]]),
    "2 with looped base": (
        2,
        [[(0.15, 0.25), (0.3, 0.04), (0.68, 0.04), (0.82, 0.28), (0.6, 0.6), (0.3, 0.88),
          (0.22, 0.98), (0.36, 0.98), (0.32, 0.84), (0.55, 0.92), (0.9, 0.95)]],
    ),
}

LETTERS: dict[str, list[list[tuple[float, float]]]] = {
    "A": [[(0.05, 1), (0.5, 0), (0.95, 1)], [(0.25, 0.6), (0.75, 0.6)]],
    "C": [_arc(0.55, 0.5, 0.45, 0.5, 310, 50, 18)],
    "E": [[(0.85, 0), (0.15, 0), (0.15, 1), (0.85, 1)], [(0.15, 0.5), (0.7, 0.5)]],
    "F": [[(0.85, 0), (0.15, 0), (0.15, 1)], [(0.15, 0.48), (0.7, 0.48)]],
    "H": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.85, 1)], [(0.15, 0.5), (0.85, 0.5)]],
    "K": [[(0.15, 0), (0.15, 1)], [(0.85, 0), (0.15, 0.55)], [(0.38, 0.4), (0.9, 1)]],
    "M": [[(0.05, 1), (0.12, 0), (0.5, 0.65), (0.88, 0), (0.95, 1)]],
    "N": [[(0.15, 1), (0.15, 0), (0.85, 1), (0.85, 0)]],
    "P": [[(0.15, 1), (0.15, 0), (0.6, 0), *_arc(0.6, 0.25, 0.28, 0.25, -90, 90, 10), (0.15, 0.5)]],
    "R": [[(0.15, 1), (0.15, 0), (0.6, 0), *_arc(0.6, 0.25, 0.28, 0.25, -90, 90, 10), (0.15, 0.5)], [(0.45, 0.5), (0.9, 1)]],
    "T": [[(0.05, 0), (0.95, 0)], [(0.5, 0), (0.5, 1)]],
    "U": [[(0.15, 0), (0.15, 0.65), *_arc(0.5, 0.65, 0.35, 0.35, 180, 0, 12)[1:], (0.85, 0)]],
    "V": [[(0.05, 0), (0.5, 1), (0.95, 0)]],
    "W": [[(0.0, 0), (0.25, 1), (0.5, 0.3), (0.75, 1), (1.0, 0)]],
    "X": [[(0.1, 0), (0.9, 1)], [(0.9, 0), (0.1, 1)]],
    "Y": [[(0.1, 0), (0.5, 0.5), (0.9, 0)], [(0.5, 0.5), (0.5, 1)]],
}


def _spiral() -> list[tuple[float, float]]:
    return [(0.5 + t / 40 * math.cos(t / 3), 0.5 + t / 40 * math.sin(t / 3)) for t in range(0, 20)]


def _star() -> list[tuple[float, float]]:
    return [(0.5 + 0.5 * math.sin(k * 4 * math.pi / 5), 0.5 - 0.5 * math.cos(k * 4 * math.pi / 5)) for k in range(6)]


SHAPES: dict[str, list[list[tuple[float, float]]]] = {
    "triangle": [[(0.5, 0), (1, 1), (0, 1), (0.5, 0)]],
    "square": [[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]],
    "star": [_star()],
    "spiral": [_spiral()],
    "hash": [[(0.35, 0), (0.3, 1)], [(0.7, 0), (0.65, 1)], [(0, 0.35), (1, 0.35)], [(0, 0.7), (1, 0.7)]],
    "heart": [[(0.5, 1), (0.05, 0.45), *_arc(0.28, 0.28, 0.23, 0.25, 180, 360, 8), (0.5, 0.3),
               *_arc(0.72, 0.28, 0.23, 0.25, 180, 360, 8), (0.95, 0.45), (0.5, 1)]],
}


def _canvas_geometry(rng: np.random.Generator) -> tuple[int, float]:
    side = int(rng.integers(300, 801))
    return side, float(side * rng.uniform(0.2, 0.8))


def _pen(rng: np.random.Generator, height: float, widest: float = 0.18) -> float:
    """Log-uniform from 2 px to `widest` of the digit height."""
    return float(math.exp(rng.uniform(math.log(2.0), math.log(max(2.0, widest * height)))))


def _round_pen(mask: Image.Image, strokes: list[Polyline], pen: float) -> None:
    """Polylines (in the mask's pixels) drawn on it with a round pen `pen` px wide."""
    draw = ImageDraw.Draw(mask)
    radius = pen / 2
    for stroke in strokes:
        xy = [tuple(p) for p in stroke]
        if len(xy) > 1:
            draw.line(xy, fill=255, width=max(1, round(pen)))
        for x, y in xy:  # round caps and joins
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=255)


def render(
    strokes: list[Polyline],
    rng: np.random.Generator,
    side: int,
    height: float,
    pen: float,
    transparent: bool | None = None,
    widen: float = 1.0,
) -> Image.Image:
    """Strokes (any units, y down) turned a little, slanted and stretched (and `widen` times as
    wide), scaled to `height` px, drawn with a round pen of `pen` px anywhere on a `side` px
    canvas, anti-aliased (2x)."""
    angle = math.radians(rng.uniform(-12, 12))
    slant = rng.uniform(-0.25, 0.25)
    aspect = widen * math.exp(rng.uniform(-0.2, 0.2))
    linear = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) @ np.array(
        [[aspect, slant], [0, 1]]
    )
    moved = [np.asarray(s, dtype=np.float64) @ linear.T for s in strokes]
    points = np.concatenate(moved)
    low, high = points.min(0), points.max(0)
    scale = height / max(high[1] - low[1], 1e-6)
    if (high[0] - low[0]) * scale > 0.95 * side - pen:  # a wide shape: fit its width instead
        scale = (0.95 * side - pen) / (high[0] - low[0])
    size = (high - low) * scale
    margin = pen / 2 + 2
    offset = np.array([rng.uniform(margin, max(margin, side - size[0] - margin)), rng.uniform(margin, max(margin, side - size[1] - margin))])
    ss = 2  # supersampling, as a browser canvas anti-aliases its strokes
    mask = Image.new("L", (side * ss, side * ss), 0)
    _round_pen(mask, [((stroke - low) * scale + offset) * ss for stroke in moved], pen * ss)
    mask = mask.reduce(ss)
    transparent = bool(rng.random() < 0.5) if transparent is None else transparent
    if transparent:
        black = Image.new("L", mask.size, 0)
        return Image.merge("RGBA", [black, black, black, mask])
    return Image.eval(mask, lambda v: 255 - v).convert("RGB")


def _skeleton_segments(digit: np.ndarray, upscale: int = 4) -> list[Polyline]:
    """The centre line of a 28x28 digit as short segments between 8-neighbour pixels (y down)."""
    big = Image.fromarray((digit * 255).astype(np.uint8)).resize((28 * upscale, 28 * upscale), Image.Resampling.BICUBIC)
    # Ink >= 0.25: faint parts of an MNIST stroke stay part of the line instead of breaking it into dashes.
    line = centre_line(np.asarray(big) >= 64)
    ys, xs = np.nonzero(line)
    on = set(zip(ys.tolist(), xs.tolist()))
    segments = []
    for y, x in on:
        for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
            if (y + dy, x + dx) in on:
                segments.append(np.array([[x, y], [x + dx, y + dy]], dtype=np.float64))
    if not segments:  # a single dot
        segments = [np.array([[x, y]], dtype=np.float64) for y, x in on]
    return segments


def stem_lean(image: Image.Image) -> float:
    """The lean of a 1's stem in degrees from the vertical, + for the top to the right ("/"),
    measured on the drawing: the principal axis of the ink in the lower half of its height, where
    a flagged 1 has only its stem."""
    ys, xs = np.nonzero(ink_map(image) > 0.5)
    lower = ys >= (ys.min() + ys.max()) / 2
    x, y = xs[lower] - xs[lower].mean(), ys[lower] - ys[lower].mean()
    dx, dy = np.linalg.eigh(np.cov(np.stack([x, y])))[1][:, 1]
    if dy < 0:  # y grows downwards: make the axis point down
        dx, dy = -dx, -dy
    return math.degrees(math.atan2(-dx, dy))


def _jitter(template: list[list[tuple[float, float]]], rng: np.random.Generator, amount: float = 0.04) -> list[Polyline]:
    """A template bent by a smooth random warp (two low-frequency waves per axis), so that each
    copy is a different hand's, with loops still round."""
    waves = [(rng.uniform(0.5, 1.5, 2) * rng.choice([-1, 1], 2), rng.uniform(0, 2 * math.pi), rng.normal(0, amount)) for _ in range(4)]

    def warp(x: float, y: float) -> tuple[float, float]:
        shift = [a * math.sin(math.pi * (k[0] * x + k[1] * y) + phase) for k, phase, a in waves]
        return x + shift[0] + shift[1], y + shift[2] + shift[3]

    return [np.asarray(smooth([warp(x, y) for x, y in s])) for s in template]


def pen_set(images: np.ndarray, labels: np.ndarray, count: int, seed: int = 1, pens: tuple[float, float] | None = None,
            widen: tuple[float, float] | None = None) -> list[Drawing]:
    """(a) MNIST test digits retraced along their centre line with a uniform round pen: log-uniform
    from 2 px to 18% of the digit height, or uniform over `pens` (shares of the height). With
    `widen`, each drawn wider by a factor uniform over it: a digit drawn to fill a square canvas."""
    rng = np.random.default_rng(seed)
    out = []
    for index in rng.choice(len(images), size=count, replace=False):
        side, height = _canvas_geometry(rng)
        pen = _pen(rng, height) if pens is None else float(rng.uniform(*pens) * height)
        factor = 1.0 if widen is None else float(rng.uniform(*widen))
        image = render(_skeleton_segments(images[index]), rng, side, height, pen, widen=factor)
        out.append(Drawing(image, int(labels[index]), "mnist", pen / height, int(index)))
    return out


def style_set(per_style: int, seed: int = 2, styles: dict | None = None, widen: tuple[float, float] | None = None) -> list[Drawing]:
    """(b) Digit styles MNIST under-represents, drawn from jittered stroke templates (`styles`,
    default STYLES: bench_validation.py draws its own); `widen` as pen_set's."""
    rng = np.random.default_rng(seed)
    out = []
    for name, (label, template) in (STYLES if styles is None else styles).items():
        for _ in range(per_style):
            side, height = _canvas_geometry(rng)
            pen = _pen(rng, height, widest=0.15)
            factor = 1.0 if widen is None else float(rng.uniform(*widen))
            out.append(Drawing(render(_jitter(template, rng), rng, side, height, pen, widen=factor), label, name, pen / height))
    return out


def canvas_set(images: np.ndarray, labels: np.ndarray, count: int, seed: int = 3) -> list[Drawing]:
    """(c) The project's earlier canvas redraw (cnn/redraw.py) of MNIST test digits."""
    rng = np.random.default_rng(seed)
    out = []
    for index in rng.choice(len(images), size=count, replace=False):
        stroke = random_stroke(rng, canvas=int(rng.integers(300, 801)))
        out.append(Drawing(redraw(images[index], stroke), int(labels[index]), "mnist", stroke.pen / stroke.height, int(index)))
    return out


PAPERS = ("plain", "ruled", "squared")


def _photograph(drawing: Image.Image, paper: str, height: float, rng: np.random.Generator, desk: str | None = None,
                margin: str | None = None) -> Image.Image:
    """A drawing (black ink on white, RGB) as a phone photo of it on paper: the paper plain,
    ruled or squared (light blue lines about a digit's height apart), tinted; the ink a
    ballpoint's blue or black or a pencil's grey; lit unevenly (light falling off towards one
    side, or a soft shadow), with sensor noise, and half of them saved as JPEG. With `desk` (one of
    DESKS), the drawing is the middle of a larger page lying on that desk, which the photo shows too."""
    ink = 1 - np.asarray(drawing.convert("L"), dtype=np.float32)[..., None] / 255
    side = ink.shape[0]
    if desk:  # the page reaches 3-75% of the drawing's side beyond it, or out of the photo
        reach = rng.uniform(0.03, 0.75, 4) * side
        left, top, right, bottom = np.round(reach).astype(int)
        ink = np.pad(ink, ((top, bottom), (left, right), (0, 0)))
    height_px, width_px = ink.shape[:2]
    tone = rng.uniform(0.82, 1.0)
    page = np.ones((height_px, width_px, 3), np.float32) * tone * np.array([1.0, rng.uniform(0.97, 1.0), rng.uniform(0.9, 1.0)], np.float32)
    if paper != "plain":
        lines = Image.new("L", (width_px, height_px), 0)
        draw = ImageDraw.Draw(lines)
        step = height * (rng.uniform(0.5, 1.0) if paper == "ruled" else rng.uniform(0.3, 0.6))
        width = max(1, round(side / 300))
        for at in np.arange(rng.uniform(0, step), max(height_px, width_px), step):
            draw.line([(0, at), (width_px, at)], fill=255, width=width)
            if paper == "squared":
                draw.line([(at, 0), (at, height_px)], fill=255, width=width)
        share = np.asarray(lines, dtype=np.float32)[..., None] / 255 * rng.uniform(0.15, 0.35)
        page = page * (1 - share * np.array([0.6, 0.35, 0.05], np.float32))  # light blue: less red and green
    if margin:
        page = _margin_lines(page, ink[..., 0], height, margin, rng)
    colour = {0: (0.12, 0.16, 0.45), 1: (0.1, 0.1, 0.12), 2: (0.42, 0.42, 0.44)}[int(rng.integers(3))]  # blue, black, pencil
    photo = page * (1 - ink) + np.array(colour, np.float32) * tone * ink
    if desk:
        photo = _on_desk(photo, (left, top, right, bottom), side, desk, rng)
    height_px, width_px = photo.shape[:2]
    ys, xs = np.mgrid[0:height_px, 0:width_px].astype(np.float32) / max(height_px, width_px)
    if rng.random() < 0.5:  # light falling off across the page, from a random direction
        angle = rng.uniform(0, 2 * math.pi)
        across = xs * math.cos(angle) + ys * math.sin(angle)
        across = (across - across.min()) / (across.max() - across.min())
        light = 1 - rng.uniform(0.15, 0.6) * across ** rng.uniform(1, 2)
    else:  # a soft shadow (a hand, the phone) somewhere on the page
        cx, cy, radius = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.3, 0.8)
        light = 1 - rng.uniform(0.15, 0.5) * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / radius**2)
    photo = photo * light[..., None] + rng.normal(0, rng.uniform(0.005, 0.03), photo.shape)
    image = Image.fromarray(np.clip(photo * 255 + 0.5, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=int(rng.integers(60, 96)))
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    return image


# Where a notebook's margin line lies: beside the digit (left of it, or right where the digit
# leaves no room), through it (a number written in the margin), a legal pad's two lines (on
# yellow paper), or the page's header line above the digit.
MARGINS = ("beside", "through", "double", "header")


def _margin_lines(page: np.ndarray, ink: np.ndarray, height: float, kind: str, rng: np.random.Generator) -> np.ndarray:
    """The page (RGB floats, the drawing's `ink` on it still to come) with a margin line drawn edge
    to edge (red or pink; the header line red or blue), 1.5-3 times as wide as the ruled lines,
    turned by up to 2 degrees, where MARGINS says."""
    side = ink.shape[0]
    rows, cols = np.flatnonzero(ink.max(1) > 0.5), np.flatnonzero(ink.max(0) > 0.5)
    if kind == "double":
        page = page * np.array([1.0, 0.97, 0.72], np.float32)  # a legal pad's yellow
    across = kind == "header"
    first, last = (rows[0], rows[-1]) if across else (cols[0], cols[-1])
    room_before, room_after = first - 0.02 * side, side - 0.02 * side - last
    gap = rng.uniform(0.02, 0.25) * side
    if kind == "through" or max(room_before, room_after) < 0.02 * side:
        at = [rng.uniform(first, last)]
    else:
        before = room_before >= 0.02 * side and (across or room_after < 0.02 * side or rng.random() < 0.8)
        at = [first - min(gap, room_before) if before else last + min(gap, room_after)]
    if kind == "double":
        at.append(at[0] + (-1 if at[0] < first else 1) * rng.uniform(0.1, 0.2) * height)
    colour = np.array([0.35, 0.55, 0.95] if across and rng.random() < 0.5 else [rng.uniform(0.85, 0.95), rng.uniform(0.3, 0.5), rng.uniform(0.35, 0.55)], np.float32)
    ss = 2
    lines = Image.new("L", (side * ss, side * ss), 0)
    draw = ImageDraw.Draw(lines)
    width = max(1, round(side / 300)) * rng.uniform(1.5, 3)
    drift = math.tan(math.radians(rng.uniform(-2, 2))) * side / 2
    for x in at:
        ends = [(x - drift, -side / 2), (x + drift, 1.5 * side)]  # beyond the page: the line runs edge to edge
        draw.line([(ss * (a if not across else b), ss * (b if not across else a)) for a, b in ends], fill=255, width=max(1, round(width * ss)))
    share = np.asarray(lines.reduce(ss), np.float32)[..., None] / 255 * rng.uniform(0.5, 1.0)
    return page * (1 - share * (1 - colour))


DESKS = ("wood", "dark", "grey", "white")


def _on_desk(page: np.ndarray, reach: tuple[int, int, int, int], side: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """The page (RGB floats; the drawing's `side` px square lies `reach` px in from its left, top,
    right and bottom edges) turned by up to 8 degrees on a desk, photographed with 10-45% of the
    drawing's side around the drawing, widened or narrowed so that the desk shows on 1-4 sides.
    The desk is wood (brown, with grain), dark, grey or a white table; the page casts a soft shadow."""
    margins = rng.uniform(0.1, 0.45, 4) * side
    shows = np.zeros(4, bool)
    shows[rng.choice(4, size=int(rng.integers(1, 5)), replace=False)] = True
    # Where the desk shows, the page ends 2% of the side or more before the photo does.
    margins = np.where(shows, np.maximum(margins, np.asarray(reach) + 0.02 * side), np.minimum(margins, np.asarray(reach)))
    left, top, right, bottom = np.round(margins).astype(int)
    width, height = left + side + right, top + side + bottom
    base = {"wood": np.array([1.0, 0.7, 0.45]) * rng.uniform(0.35, 0.7), "dark": np.full(3, rng.uniform(0.05, 0.25)),
            "grey": np.full(3, rng.uniform(0.3, 0.6)) * rng.uniform(0.95, 1.05, 3), "white": np.full(3, rng.uniform(0.75, 0.95))}[kind]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) / side
    texture = np.ones_like(xs)
    if kind == "wood":
        angle, period = rng.uniform(0, math.pi), rng.uniform(0.03, 0.12)
        along = xs * math.cos(angle) + ys * math.sin(angle)
        texture = 1 + 0.08 * np.sin(2 * math.pi * along / period + 3 * np.sin(2 * math.pi * (ys * math.cos(angle) - xs * math.sin(angle)) * 0.7))
    desk = texture[..., None] * base.astype(np.float32)
    # The page and its mask on a layer larger than the photo, turned about the drawing's centre,
    # so that what the turn brings into the photo is page where the page runs on.
    pad = side
    layer = Image.new("RGB", (width + 2 * pad, height + 2 * pad))
    mask = Image.new("L", layer.size, 0)
    at = (pad + left - reach[0], pad + top - reach[1])
    layer.paste(Image.fromarray(np.clip(page * 255 + 0.5, 0, 255).astype(np.uint8)), at)
    mask.paste(255, (*at, at[0] + page.shape[1], at[1] + page.shape[0]))
    angle, centre = rng.uniform(-8, 8), (pad + left + side / 2, pad + top + side / 2)
    box = (pad, pad, pad + width, pad + height)
    layer = layer.rotate(angle, Image.Resampling.BILINEAR, center=centre).crop(box)
    mask = mask.rotate(angle, Image.Resampling.BILINEAR, center=centre)
    offset = np.round(rng.uniform(-0.015, 0.015, 2) * side).astype(int)
    shadow = mask.crop((box[0] - offset[0], box[1] - offset[1], box[2] - offset[0], box[3] - offset[1]))
    shadow = shadow.filter(ImageFilter.GaussianBlur(rng.uniform(0.005, 0.03) * side))
    desk = desk * (1 - rng.uniform(0.2, 0.6) * np.asarray(shadow, np.float32)[..., None] / 255)
    cover = np.asarray(mask.crop(box), np.float32)[..., None] / 255
    return np.asarray(layer, np.float32) / 255 * cover + desk * (1 - cover)


def photo_set(images: np.ndarray, labels: np.ndarray, count: int, seed: int = 8, desk: bool = False, margin: bool = False) -> list[Drawing]:
    """(g) MNIST test digits retraced as in pen_set (pens up to 12% of the height: ballpoints and
    pencils), then photographed on paper (_photograph); `kind` is the paper. With `desk` (set
    (h)), the photo shows the page lying on a desk around it, and `kind` is the desk (DESKS). With
    `margin` (set (i)), the paper is ruled with a margin line, and `kind` is where it lies (MARGINS)."""
    rng = np.random.default_rng(seed)
    out = []
    for index in rng.choice(len(images), size=count, replace=False):
        side, height = _canvas_geometry(rng)
        pen = _pen(rng, height, widest=0.12)
        drawn = render(_skeleton_segments(images[index]), rng, side, height, pen, transparent=False)
        paper = PAPERS[int(rng.integers(len(PAPERS)))]
        surface = DESKS[int(rng.integers(len(DESKS)))] if desk else None
        line = MARGINS[int(rng.integers(len(MARGINS)))] if margin else None
        photo = _photograph(drawn, "ruled" if margin else paper, height, rng, surface, line)
        out.append(Drawing(photo, int(labels[index]), surface or line or paper, pen / height, int(index)))
    return out


FRAMES = ("cropped", "on paper")


def _retraced_with_room(digit: np.ndarray, rng: np.random.Generator, room: float, transparent: bool) -> tuple[Image.Image, int, float, float]:
    """A digit retraced as in pen_set, with pens up to 12% of its height, at most `room` of the
    canvas tall (room for what is drawn around it): the canvas, its side, the digit's height and
    the pen."""
    side, height = _canvas_geometry(rng)
    height = min(height, room * side)
    pen = _pen(rng, height, widest=0.12)
    return render(_skeleton_segments(digit), rng, side, height, pen, transparent=transparent), side, height, pen


def framed_set(images: np.ndarray, labels: np.ndarray, count: int, seed: int = 17) -> list[Drawing]:
    """MNIST test digits retraced as in pen_set (pens up to 12% of the height), written inside a
    printed box: a form's box or a frame drawn with a ruler, 1-4 px wide, black, grey or blue, a
    tenth to half the digit's height from its ink on each side, possibly crossed by the digit's
    ink. Half are cropped to the box (`kind` "cropped"), half have paper around it ("on paper")."""
    rng = np.random.default_rng(seed)
    out = []
    for index in rng.choice(len(images), size=count, replace=False):
        drawn, side, height, pen = _retraced_with_room(images[index], rng, 0.6, transparent=False)  # room for the box
        drawn = drawn.convert("RGB")
        ink = np.asarray(drawn.convert("L")) < 128
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        gaps = rng.uniform(-0.02, 0.5, size=4) * height  # a slightly negative gap: the digit runs into the box
        box = [cols[0] - gaps[0], rows[0] - gaps[1], cols[-1] + gaps[2], rows[-1] + gaps[3]]
        box = [int(np.clip(v, 1, side - 2)) for v in box]
        width = int(rng.integers(1, 5))
        colour = [(0, 0, 0), (110, 110, 110), (60, 90, 200)][int(rng.integers(3))]
        ImageDraw.Draw(drawn).rectangle(box, outline=colour, width=width)
        kind = FRAMES[int(rng.integers(len(FRAMES)))]
        if kind == "cropped":
            extra = int(rng.integers(2, 9))  # paper beyond the line (a crop right on it: see BENCHMARKS)
            drawn = drawn.crop((max(0, box[0] - extra), max(0, box[1] - extra), min(side, box[2] + 1 + extra), min(side, box[3] + 1 + extra)))
        out.append(Drawing(drawn, int(labels[index]), kind, pen / height, int(index)))
    return out


MARKS = ("underline", "double underline", "ring")
MARKED = tuple(f"{mark}, {where}" for mark in MARKS for where in ("apart", "touching"))  # marked_set's kinds


def _mark(box: tuple[float, float, float, float], kind: str, height: float, rng: np.random.Generator) -> list[Polyline]:
    """A hand-drawn mark around ink whose box is (x0, y0, x1, y1): one or two lines under it, a
    little tilted and bowed, from about where it starts to about where it ends (at least half its
    height long); or a ring around
    it, wobbling, whose stroke runs on past its start so that it closes. Its distance from the
    ink is drawn from -0.05 to 0.25 of the height: sometimes it touches the digit."""
    x0, y0, x1, y1 = box
    if kind == "ring":
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        rx = (x1 - x0) / 2 * rng.uniform(1.05, 1.4) + rng.uniform(-0.05, 0.25) * height
        ry = (y1 - y0) / 2 * rng.uniform(1.0, 1.15) + rng.uniform(-0.05, 0.25) * height
        start = rng.uniform(0, 2 * math.pi)
        turns = np.linspace(start, start + 2 * math.pi + rng.uniform(0.15, 0.6), 96)
        wobble = 1 + sum(rng.normal(0, 0.03) * np.sin(k * turns + rng.uniform(0, 2 * math.pi)) for k in (2, 3))
        return [np.stack([cx + rx * wobble * np.cos(turns), cy + ry * wobble * np.sin(turns)], axis=1)]
    lines, y, tilt = [], y1 + rng.uniform(-0.05, 0.25) * height, math.tan(math.radians(rng.uniform(-4, 4)))
    for _ in range(2 if kind == "double underline" else 1):
        span = max(x1 - x0, 0.5 * height)  # a 1 is underlined wider than itself
        left, right = (x0 + x1 - span) / 2 - rng.uniform(-0.15, 0.3) * span, (x0 + x1 + span) / 2 + rng.uniform(-0.15, 0.3) * span
        xs = np.linspace(left, right, 24)
        bow = rng.uniform(-0.04, 0.04) * height * (1 - ((xs - left) / (right - left) * 2 - 1) ** 2)
        lines.append(np.stack([xs, y + tilt * (xs - (x0 + x1) / 2) + bow], axis=1))
        y += rng.uniform(0.08, 0.2) * height
    return lines


def marked_set(images: np.ndarray, labels: np.ndarray, count: int, seed: int = 19) -> list[Drawing]:
    """MNIST test digits retraced as in pen_set (pens up to 12% of the height), then marked with
    the same pen, as people mark an answer: underlined once or twice, or ringed (`kind`: the mark,
    then "apart" or "touching" the digit). The digit and its mark lie anywhere on the canvas."""
    rng = np.random.default_rng(seed)
    out = []
    for index in rng.choice(len(images), size=count, replace=False):
        drawn, side, height, pen = _retraced_with_room(images[index], rng, 0.5, transparent=True)  # room for the mark
        digit = np.asarray(drawn.getchannel("A"))
        rows, cols = np.flatnonzero(digit.any(axis=1)), np.flatnonzero(digit.any(axis=0))
        kind = MARKS[int(rng.integers(len(MARKS)))]
        # The mark is drawn on a larger sheet (it may reach past the canvas), then both are moved
        # (and shrunk, if they must be) to a random place where all of it is on the canvas.
        ss, pad = 2, side
        mask = Image.new("L", (3 * side * ss, 3 * side * ss), 0)
        strokes = _mark((cols[0] + pad, rows[0] + pad, cols[-1] + pad, rows[-1] + pad), kind, height, rng)
        _round_pen(mask, [stroke * ss for stroke in strokes], pen * ss)
        mark = np.asarray(mask.reduce(ss))
        ink = mark.copy()
        ink[pad : pad + side, pad : pad + side] = np.maximum(ink[pad : pad + side, pad : pad + side], digit)
        near = np.asarray(Image.fromarray(digit).filter(ImageFilter.MaxFilter(3))) > 64
        touching = bool((mark[pad : pad + side, pad : pad + side] > 64)[near].any())
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        part = Image.fromarray(ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])
        if max(part.size) > side - 2:
            shrink = (side - 2) / max(part.size)
            part = part.resize((max(1, int(part.width * shrink)), max(1, int(part.height * shrink))), Image.Resampling.LANCZOS)
        part = np.asarray(part)
        top, left = (int(rng.integers(1, side - n)) for n in part.shape)
        placed = np.zeros((side, side), np.uint8)
        placed[top : top + part.shape[0], left : left + part.shape[1]] = part
        layer = Image.fromarray(placed)
        if rng.random() < 0.5:
            black = Image.new("L", layer.size, 0)
            image = Image.merge("RGBA", [black, black, black, layer])
        else:
            image = Image.eval(layer, lambda v: 255 - v).convert("RGB")
        out.append(Drawing(image, int(labels[index]), f"{kind}, {'touching' if touching else 'apart'}", pen / height, int(index)))
    return out


def _scribble(rng: np.random.Generator) -> list[Polyline]:
    points = [(rng.uniform(0, 1), rng.uniform(0, 1)) for _ in range(int(rng.integers(6, 14)))]
    return [np.asarray(smooth(points))]


def _filled(rng: np.random.Generator) -> Image.Image:
    side = int(rng.integers(300, 801))
    size = side * rng.uniform(0.2, 0.8)
    x, y = rng.uniform(0, side - size, 2)
    image = Image.new("RGB", (side, side), "white")
    shape = ImageDraw.Draw(image).ellipse if rng.random() < 0.5 else ImageDraw.Draw(image).rectangle
    shape([x, y, x + size, y + size * rng.uniform(0.6, 1.0)], fill="black")
    return image


NON_DIGIT_KINDS = ("letter", "scribble", "shape", "filled", "noise")  # non_digit_set's, a fifth each


def non_digit_set(count: int, seed: int = 4) -> list[Drawing]:
    """(d) Capital letters, scribbles, outline shapes, filled shapes and noise (a fifth each)."""
    rng = np.random.default_rng(seed)
    letters, shapes = list(LETTERS.items()), list(SHAPES.items())
    out = []
    for n in range(count):
        kind = NON_DIGIT_KINDS[n % len(NON_DIGIT_KINDS)]
        if kind == "filled":
            out.append(Drawing(_filled(rng), -1, kind, 0.0))
            continue
        if kind == "noise":
            side = int(rng.integers(300, 801))
            out.append(Drawing(Image.fromarray(rng.integers(0, 256, (side, side), dtype=np.uint8)), -1, kind, 0.0))
            continue
        if kind == "letter":
            name, template = letters[n // 5 % len(letters)]
            strokes = _jitter(template, rng)
        elif kind == "shape":
            name, template = shapes[n // 5 % len(shapes)]
            strokes = _jitter(template, rng, 0.03)
        else:
            name, strokes = "scribble", _scribble(rng)
        side, height = _canvas_geometry(rng)
        pen = _pen(rng, height)
        out.append(Drawing(render(strokes, rng, side, height, pen), -1, f"{kind} {name}" if kind != "scribble" else kind, pen / height))
    return out


def scan_set(seed: int = 5) -> list[Drawing]:
    """(e) Other writers, scanned small: scikit-learn's `load_digits` (1,797 digits by 43 people,
    8x8 px), enlarged smoothly to canvas scale. Needs `pip install scikit-learn`; None without it."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        return None
    rng = np.random.default_rng(seed)
    data = load_digits()
    out = []
    for pixels, label in zip(data.images, data.target):
        side, height = _canvas_geometry(rng)
        ink = Image.fromarray((pixels / 16 * 255).astype(np.uint8)).resize((round(height), round(height)), Image.Resampling.BICUBIC)
        x, y = rng.integers(0, side - ink.width + 1, 2)
        canvas = Image.new("L", (side, side), 0)
        canvas.paste(ink, (int(x), int(y)))
        out.append(Drawing(Image.eval(canvas, lambda v: 255 - v).convert("RGB"), int(label), "scan", 0.0))
    return out


FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def font_set(per_font: int = 3, seed: int = 6) -> list[Drawing] | None:
    """(f) Digits typed in every DejaVu font on the machine (Sans, Serif, Mono; bold, oblique,
    condensed, light), a little turned and placed anywhere. None when the fonts are missing
    (Debian: fonts-dejavu-core)."""
    from PIL import ImageFont

    fonts = sorted(FONT_DIR.glob("DejaVu*.ttf"))
    if not fonts:
        return None
    rng = np.random.default_rng(seed)
    out = []
    for path in fonts:
        for digit in range(10):
            for _ in range(per_font):
                side, height = _canvas_geometry(rng)
                font = ImageFont.truetype(str(path), size=round(height * 1.35))
                glyph = Image.new("L", (round(height * 1.6), round(height * 1.6)), 0)
                ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), str(digit), fill=255, font=font, anchor="mm")
                glyph = glyph.rotate(float(rng.uniform(-10, 10)), resample=Image.Resampling.BICUBIC)
                glyph = glyph.crop(glyph.getbbox())
                x, y = rng.integers(0, max(1, side - glyph.width), 1)[0], rng.integers(0, max(1, side - glyph.height), 1)[0]
                canvas = Image.new("L", (side, side), 0)
                canvas.paste(glyph, (int(x), int(y)))
                out.append(Drawing(Image.eval(canvas, lambda v: 255 - v).convert("RGB"), digit, path.stem, 0.0))
    return out


# Numbers (issue 12): digits from sets (a) and (b)'s sources, composed on one line.


TILTS = (-30.0, 30.0)  # degrees a number's line rises (tilted_numbers, number_set's `rising`)


def _tilts(count: int, seed: int) -> np.ndarray:
    """The angles of the lines of `count` numbers drawn with `seed`: the same for number_set's
    `rising` and tilted_numbers, and not the numbers' own sequence."""
    return np.random.default_rng([seed, 3]).uniform(*TILTS, size=count)


@dataclass(frozen=True)
class NumberDrawing:
    image: Image.Image
    text: str  # the digits, left to right
    gap: float  # the narrowest gap between neighbouring digits' ink, / the digit height (< 0: overlap)
    canvas: str  # "square" or "2:1"
    digits: list[np.ndarray]  # each digit's ink alone (uint8, 255 = ink), at the drawing's scale
    tilt: float = 0.0  # degrees the line rises (the whole drawing turned, or, `rising`, the digits upright)


def _digit_ink(strokes: list[Polyline], rng: np.random.Generator, height: float, pen: float, slant: float) -> np.ndarray:
    """One digit's ink, float32 in [0, 1], cropped: turned a little, stretched, leaning by `slant`,
    `height` px tall, drawn with a round pen of `pen` px, anti-aliased (2x)."""
    angle = math.radians(rng.uniform(-6, 6))
    aspect = math.exp(rng.uniform(-0.15, 0.15))
    linear = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]]) @ np.array([[aspect, slant], [0, 1]])
    moved = [np.asarray(s, dtype=np.float64) @ linear.T for s in strokes]
    points = np.concatenate(moved)
    low, high = points.min(0), points.max(0)
    scale = height / max(high[1] - low[1], 1e-6)
    ss, margin = 2, pen / 2 + 2
    size = ((high - low) * scale + 2 * margin) * ss
    mask = Image.new("L", (int(size[0]) + 1, int(size[1]) + 1), 0)
    _round_pen(mask, [((stroke - low) * scale + margin) * ss for stroke in moved], pen * ss)
    ink = np.asarray(mask.reduce(ss), dtype=np.float32) / 255
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _edges(ink: np.ndarray, right: bool) -> np.ndarray:
    """Per row, the leftmost (or rightmost) column with ink; NaN for rows without."""
    on = ink > 0.25
    index = np.where(on, np.arange(ink.shape[1]), -1 if right else ink.shape[1])
    edge = (index.max(axis=1) if right else index.min(axis=1)).astype(np.float64)
    edge[~on.any(axis=1)] = np.nan
    return edge


def compose_number(
    sources: list[list[Polyline]], rng: np.random.Generator, gaps: list[float], pen_ratio: float, wide: bool, rise: float = 0.0,
) -> tuple[Image.Image, list[np.ndarray]]:
    """Digits on one line: one height +-12%, one baseline +-8%, one slant (+-0.25, each digit
    +-0.05), each next digit placed so that the narrowest gap between neighbours' ink, row by
    row, is gaps[i] of the height (negative: they overlap). The baseline rises by `rise` degrees
    (the digits stay upright). On a square or 2:1 canvas, 300-800 px tall, the number 20-60% of
    it tall unless it must be smaller to fit, anywhere on it. Also returns each digit's ink
    alone, at the same scale."""
    height = 100.0
    slant = rng.uniform(-0.25, 0.25)
    pen = max(1.0, pen_ratio * height)
    inks = [_digit_ink(s, rng, height * rng.uniform(0.88, 1.12), pen, slant + rng.uniform(-0.05, 0.05)) for s in sources]
    bottoms = [3 * height + rng.uniform(-0.08, 0.08) * height for _ in inks]
    width = int(sum(i.shape[1] for i in inks) + 2 * height * len(inks) + 10)
    slope = math.tan(math.radians(rise))
    room = int(abs(slope) * width)  # rows for the line to rise or fall in
    line = np.zeros((int(5 * height) + room, width), np.float32)
    x = 5
    for n, ink in enumerate(inks):
        # Where this digit's left edge will about lie: the ink so far, and the gap.
        edge = np.flatnonzero(line.any(axis=0)).max() + gaps[n - 1] * height if n else 0.0
        top = int(round(bottoms[n] + (room if slope > 0 else 0) - slope * edge - ink.shape[0]))
        if n:
            rows = slice(top, top + ink.shape[0])
            reach = _edges(line[rows], right=True) - _edges(ink, right=False)
            x = max(0, int(round(gaps[n - 1] * height + (np.nanmax(reach) if np.isfinite(reach).any() else np.nanmax(_edges(line, right=True))))))
        region = line[top : top + ink.shape[0], x : x + ink.shape[1]]
        np.maximum(region, ink, out=region)
    rows, cols = np.flatnonzero(line.any(axis=1)), np.flatnonzero(line.any(axis=0))
    line = line[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    side = int(rng.integers(300, 801))
    canvas = (2 * side, side) if wide else (side, side)
    scale = min(rng.uniform(0.2, 0.6) * side / height, 0.95 * canvas[0] / line.shape[1], 0.95 * side / line.shape[0])
    size = (max(1, round(line.shape[1] * scale)), max(1, round(line.shape[0] * scale)))
    placed = Image.fromarray((line * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS)
    alone = [
        np.asarray(Image.fromarray((ink * 255).astype(np.uint8)).resize(
            (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale))), Image.Resampling.LANCZOS))
        for ink in inks
    ]
    paper = Image.new("L", canvas, 0)
    paper.paste(placed, (int(rng.integers(0, canvas[0] - size[0] + 1)), int(rng.integers(0, canvas[1] - size[1] + 1))))
    if rng.random() < 0.5:  # ink on a transparent layer, as the sketchpad sends it
        black = Image.new("L", canvas, 0)
        return Image.merge("RGBA", [black, black, black, paper]), alone
    return Image.eval(paper, lambda v: 255 - v).convert("RGB"), alone


def number_set(
    images: np.ndarray, labels: np.ndarray, count: int, lengths: tuple[int, ...] = (2, 3, 4, 5, 6),
    gap_range: tuple[float, float] = (0.10, 0.60), seed: int = 7, square: bool = False, rising: bool = False,
    styles: dict | None = None,
) -> list[NumberDrawing]:
    """Numbers of each length in turn. Each digit is an MNIST test digit retraced (as set (a)),
    or, one time in four, a style template jittered (as set (b); `styles` as style_set's); one
    pen for the whole number, log-uniform from 2 px to 15% of the height as drawn. On square or
    2:1 canvases (`square`: square only; the other numbers are the same). With `rising`, the same
    numbers written uphill or downhill, by an angle uniform in TILTS, their digits upright (`tilt`
    records it)."""
    rises = _tilts(count, seed) if rising else np.zeros(count)
    rng = np.random.default_rng(seed)
    styles = list((STYLES if styles is None else styles).values())
    out = []
    for n in range(count):
        length = lengths[n % len(lengths)]
        sources, text = [], ""
        for _ in range(length):
            if rng.random() < 0.25:
                label, template = styles[int(rng.integers(len(styles)))]
                sources.append(_jitter(template, rng))
            else:
                index = int(rng.integers(len(images)))
                label = int(labels[index])
                sources.append(_skeleton_segments(images[index]))
            text += str(label)
        gaps = list(rng.uniform(*gap_range, size=length - 1))
        wide = bool(rng.random() < 0.5) and not square
        pen_ratio = math.exp(rng.uniform(math.log(0.02), math.log(0.15)))
        image, alone = compose_number(sources, rng, gaps, pen_ratio, wide, float(rises[n]))
        out.append(NumberDrawing(image, text, float(min(gaps)), "2:1" if wide else "square", alone, float(rises[n])))
    return out


def number_photos(numbers: list[NumberDrawing], seed: int = 12) -> list[NumberDrawing]:
    """`numbers` (number_set's, on square canvases: `square=True`), each photographed as photo_set's
    pages are: on plain, ruled or squared paper (lines about 0.3 of the canvas apart), every other
    one lying on a desk (set (h)'s). `canvas` is the desk, or "paper"."""
    rng = np.random.default_rng([seed, 1])  # not number_set's own sequence (drawn with `seed` too)
    out = []
    for n, number in enumerate(numbers):
        drawing = number.image
        if drawing.mode == "RGBA":  # ink on a transparent layer: the same ink on white paper
            drawing = Image.composite(Image.new("RGB", drawing.size, "black"), Image.new("RGB", drawing.size, "white"), drawing.getchannel("A"))
        desk = DESKS[int(rng.integers(len(DESKS)))] if n % 2 else None
        photo = _photograph(drawing, PAPERS[int(rng.integers(len(PAPERS)))], 0.3 * drawing.height, rng, desk)
        out.append(replace(number, image=photo, canvas=desk or "paper"))
    return out


def tilted_numbers(numbers: list[NumberDrawing], seed: int) -> list[NumberDrawing]:
    """`numbers` (number_set's, drawn with `seed`) turned whole by an angle uniform in TILTS, as a
    photo taken with the phone turned shows them (or a hand that turns the digits with the line):
    the digits turn with the line. The canvas grows to hold the turned one (paper or transparent
    around it). The angles are those of number_set's `rising`."""
    out = []
    for number, angle in zip(numbers, _tilts(len(numbers), seed).tolist()):
        fill = (0, 0, 0, 0) if number.image.mode == "RGBA" else "white"
        image = number.image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
        out.append(replace(number, image=image, tilt=angle))
    return out
