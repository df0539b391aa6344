"""Redraw a 28x28 MNIST digit the way a person would draw it on a canvas.

Used to measure the whole front end (canvas -> to_mnist -> model) on real handwriting: the
digit is enlarged to canvas scale, thinned to its centre line (the path of the pen), traced
again with a round pen of the chosen width (or kept and thickened), moved, and put on white
paper, dark paper or a transparent layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageOps


@dataclass(frozen=True)
class Stroke:
    canvas: int = 400  # square canvas side, px
    height: int = 240  # digit height on the canvas, px
    centre: tuple[int, int] = (200, 200)  # where the digit's box centre goes (x, y)
    pen: int = 0  # pen diameter in px, retracing the centre line; 0 keeps the digit's own strokes
    thicken: int = 0  # px added on each side of the strokes (a marker, a finger)
    background: str = "white"  # "white", "black" or "transparent"


def redraw(digit: np.ndarray, stroke: Stroke) -> Image.Image:
    """A canvas-scale drawing of `digit` ((28, 28) floats in [0, 1], ink = 1)."""
    ink = Image.fromarray(np.clip(digit * 255, 0, 255).astype(np.uint8))
    box = ink.getbbox()
    if box is None:
        raise ValueError("the digit has no ink")
    ink = ink.crop(box)
    scale = stroke.height / ink.height
    ink = ink.resize((max(1, round(ink.width * scale)), stroke.height), Image.Resampling.BICUBIC)
    ink = ink.point(lambda v: 255 if v >= 128 else 0)  # a pen draws solid ink
    if stroke.pen:
        ink = trace(centre_line(np.asarray(ink) > 0), stroke.pen)
    if stroke.thicken:
        ink = ImageOps.expand(ink, stroke.thicken)
        for _ in range(stroke.thicken):
            ink = ink.filter(ImageFilter.MaxFilter(3))
    layer = Image.new("L", (stroke.canvas, stroke.canvas), 0)
    layer.paste(ink, (stroke.centre[0] - ink.width // 2, stroke.centre[1] - ink.height // 2))
    # A little anti-aliasing on the edges, as a browser canvas draws them.
    layer = layer.filter(ImageFilter.GaussianBlur(1))
    if stroke.background == "transparent":
        black = Image.new("L", layer.size, 0)
        return Image.merge("RGBA", [black, black, black, layer])
    if stroke.background == "black":
        return layer.convert("RGB")
    return Image.eval(layer, lambda v: 255 - v).convert("RGB")


def centre_line(ink: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning: the one-pixel-wide centre line of a binary image, connectivity kept."""
    skeleton = np.pad(ink.astype(bool), 1)
    while True:
        changed = False
        for step in (0, 1):
            p = skeleton
            # Neighbours P2..P9, clockwise from north.
            n = [np.roll(p, shift, axis=(0, 1)) for shift in ((1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1))]
            count = sum(x.astype(np.uint8) for x in n)
            transitions = sum((~n[i] & n[(i + 1) % 8]).astype(np.uint8) for i in range(8))
            p2, p4, p6, p8 = n[0], n[2], n[4], n[6]
            if step == 0:
                side = ~(p2 & p4 & p6) & ~(p4 & p6 & p8)
            else:
                side = ~(p2 & p4 & p8) & ~(p2 & p6 & p8)
            remove = p & (count >= 2) & (count <= 6) & (transitions == 1) & side
            if remove.any():
                skeleton = p & ~remove
                changed = True
        if not changed:
            return skeleton[1:-1, 1:-1]


def trace(path: np.ndarray, pen: int) -> Image.Image:
    """Draw a round pen of diameter `pen` along every pixel of `path` (an L image, ink 255)."""
    height, width = path.shape
    pad = pen // 2 + 1
    image = Image.new("L", (width + 2 * pad, height + 2 * pad), 0)
    draw = ImageDraw.Draw(image)
    radius = pen / 2
    for y, x in zip(*np.nonzero(path)):
        draw.ellipse([x + pad - radius, y + pad - radius, x + pad + radius, y + pad + radius], fill=255)
    return image


def random_stroke(rng: np.random.Generator, canvas: int = 400) -> Stroke:
    """Sizes, places, pens and papers spread over what visitors really do."""
    height = int(rng.integers(canvas // 5, canvas * 9 // 10))
    margin = height // 2 + 4
    centre = (int(rng.integers(margin, canvas - margin + 1)), int(rng.integers(margin, canvas - margin + 1)))
    # MNIST's strokes are ~12% of the digit height. Most visitors keep the app's pen (the digit's
    # own strokes, up to 4% thicker on each side); one in four draws with a fine liner (4-8%).
    if rng.random() < 0.25:
        pen, thicken = max(2, round(height * rng.uniform(0.04, 0.08))), 0
    else:
        pen, thicken = 0, int(rng.integers(0, height // 25 + 1))
    background = str(rng.choice(["white", "transparent", "black"], p=[0.5, 0.35, 0.15]))
    return Stroke(canvas=canvas, height=height, centre=centre, pen=pen, thicken=thicken, background=background)
