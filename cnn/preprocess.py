"""Turn a drawing or photo of a digit into a 28x28 MNIST-style image, and tell pen strokes from
noise and filled shapes. Where the ink is in the picture is cnn.ink's part.

MNIST was made like this (LeCun et al.): the ink of each digit is cropped, scaled to fit a
20x20 box keeping its aspect ratio (with anti-aliasing), and placed in a 28x28 field so
that its centre of mass is at the centre. Doing exactly the same to a drawing is what makes
a digit drawn small, large, off-centre or with any pen read like the ones the model learned.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw

from .ink import ink_map, window_extreme
from .pieces import ink_box

BOX = 20  # MNIST's digit box
FINE = 4 * BOX  # the working scale for stroke width and the fine-scale check, px
# Stroke width at FINE scale, estimated by stroke_width(), on 6,000 MNIST training digits: 5th,
# 50th and 95th percentiles 6.7, 10.1 and 15.3 px. Drawings thinner than PEN_MIN have their
# strokes dilated to PEN_TARGET, so a 2 px pen reads like MNIST's pens (issue 9: thin pens were
# misread, and refused as "not a digit" when their strokes broke apart at 28x28).
PEN_MIN, PEN_TARGET = 6.5, 10.0
SIDE = 28  # MNIST's field
CENTRE = 14.0  # where MNIST's centre of mass lies, in pixel-index coordinates (measured: 13.99, 14.01)
# Handwriting check (looks_like_handwriting). Measured on the 60,000 MNIST training digits:
# the Euler number of their ink lies in [-7, 5] and only 5 fall outside [-5, 5]; random noise
# gives dozens of specks or holes (99.3% of 300 noise images fall outside, or fill their box).
EULER_RANGE = (-5, 5)
FINE_EULER_RANGE = (-4, 10)  # the same at 80 px (see _strokes_at_fine_scale)
INK_LEVEL = 0.3  # a pixel is ink for the check above this value
# A stroke wider than this share of the drawing's long side is a filled shape, not a pen:
# MNIST's 95th percentile is 0.19, the widest benchmark pen 0.18 of the height; a filled disc
# measures 0.5 and a filled square 0.64 (stroke_width's estimate). Ink that still closes around
# paper is strokes whatever its width (encloses_paper): a bold 0 or 8 drawn small.
MAX_PEN_SHARE = 0.35




class Prepared(NamedTuple):
    """A drawing made ready for the model."""

    pixels: np.ndarray | None  # (28, 28) float32 in [0, 1], ink = 1, laid out like MNIST; None: no ink
    handwriting: bool  # whether the ink looks like pen strokes (False for noise, filled shapes, no ink)


def to_mnist(image: Image.Image | np.ndarray) -> np.ndarray | None:
    """A (28, 28) float32 image in [0, 1] (ink = 1) like an MNIST digit, or None if there is no ink.

    Accepts a PIL image of any mode or an array (H, W), (H, W, 2|3|4) of uint8, uint16 or floats in [0, 1].
    """
    return prepare(image, check=False).pixels


def prepare(image: Image.Image | np.ndarray, check: bool = True) -> Prepared:
    """to_mnist's result and, with `check`, whether its ink looks like pen strokes."""
    return prepare_ink(ink_map(image), check)


def prepare_ink(ink: np.ndarray, check: bool = True) -> Prepared:
    """prepare() from an ink map (ink_map's result, or a part of one: cnn.segment's digits)."""
    box = ink_box(ink)
    if box is None:
        return Prepared(None, False)
    crop = np.ascontiguousarray(ink[box], dtype=np.float32)
    fine = _fit(crop, FINE)
    width = stroke_width(fine > 0.5 * fine.max(initial=0))
    fine = normalise_stroke(fine, width)
    digit = _fit(fine, BOX)
    peak = float(digit.max(initial=0))
    if peak <= 0:
        return Prepared(None, False)
    digit = digit / peak  # the strongest ink is 1, as in MNIST

    # Translate so the centre of mass lands on MNIST's, keeping the whole digit in the field.
    mass = digit.sum()
    com_y = float((digit.sum(axis=1) * np.arange(digit.shape[0])).sum() / mass)
    com_x = float((digit.sum(axis=0) * np.arange(digit.shape[1])).sum() / mass)
    top = int(np.clip(round(CENTRE - com_y), 0, SIDE - digit.shape[0]))
    left = int(np.clip(round(CENTRE - com_x), 0, SIDE - digit.shape[1]))
    out = np.zeros((SIDE, SIDE), dtype=np.float32)
    out[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    if not check:
        return Prepared(out, True)
    strokes = looks_like_handwriting(out, pen_share=width / FINE) and _strokes_at_fine_scale(fine)
    return Prepared(out, strokes)


def _fit(crop: np.ndarray, box: int) -> np.ndarray:
    """Scale so the long side is `box` px, keeping the aspect ratio. PIL's bilinear filter widens
    its support when shrinking, so this is a proper anti-aliased (area-weighted) reduction."""
    height, width = crop.shape
    scale = box / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(crop).resize(size, Image.Resampling.BILINEAR, reducing_gap=3.0)
    return np.clip(np.asarray(resized), 0, None)


def stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in px of a binary image: area / half the perimeter (a long stroke of
    width w and length L has area wL and perimeter ~2L). Edges are counted on the pixel grid,
    which overcounts a slanted edge by 4/pi on average, hence that factor."""
    area = float(ink.sum())
    edges = (ink[:, 1:] != ink[:, :-1]).sum() + (ink[1:] != ink[:-1]).sum()
    edges += ink[:, 0].sum() + ink[:, -1].sum() + ink[0].sum() + ink[-1].sum()
    return 2 * area / max(1.0, edges * math.pi / 4)


def normalise_stroke(fine: np.ndarray, width: float) -> np.ndarray:
    """`fine` (a digit at FINE scale, cropped to its ink, strokes `width` px wide) with thin
    strokes dilated to MNIST's width, cropped to its ink again. Thick strokes are left alone:
    eroding them broke the loops of bold 8s and 0s (the canvas set lost 0.5 points)."""
    peak = float(fine.max(initial=0))
    if width >= PEN_MIN or peak <= 0:
        return fine
    # A k x k max filter widens a stroke by k - 1 px; k is odd.
    size = 2 * round((PEN_TARGET - width) / 2) + 1
    # A thin pen reduced to this scale is faint grey: make its core solid ink first.
    solid = np.clip(fine / (0.5 * peak), 0, 1)
    grown = window_extreme(np.pad(solid, size), size, np.maximum)
    return np.ascontiguousarray(grown[ink_box(grown)])



def _strokes_at_fine_scale(fine: np.ndarray) -> bool:
    """Pen strokes stay few pieces with few holes at 4x MNIST's scale; noise that survives the
    28x28 check (a tiny noise image) breaks into dozens. MNIST digits: [-3, 12], 99.99% <= 10.
    Pinholes of 1-2 px, which a thick pen leaves where a stroke crosses itself, are closed
    first: a bold 5 drawn with a pen 30% of its height had five of them."""
    ink = fine > 0.5 * fine.max(initial=0)
    closed = window_extreme(window_extreme(ink, 3, np.maximum), 3, np.minimum)
    return FINE_EULER_RANGE[0] <= euler_number(closed) <= FINE_EULER_RANGE[1]


def looks_like_handwriting(pixels: np.ndarray, pen_share: float = 0.0) -> bool:
    """False for a to_mnist result that is noise or a filled shape rather than pen strokes.

    Cheap tests (~60 us): the Euler number (pieces minus holes, 8-connected) of the ink must be
    MNIST-like; and a filled shape (the ink fills a large box almost entirely, or its strokes are
    wider than MAX_PEN_SHARE: `pen_share` is the stroke width over the drawing's long side) is
    refused unless it closes around paper (a bold 8 whose loops are still open).
    """
    ink = pixels > INK_LEVEL
    box = ink_box(ink)
    if box is None:
        return False
    inked = ink[box]
    filled = pen_share > MAX_PEN_SHARE or (inked.mean() > 0.85 and min(inked.shape) >= 12)
    if filled and not encloses_paper(ink):
        return False
    return EULER_RANGE[0] <= euler_number(ink) <= EULER_RANGE[1]


def encloses_paper(ink: np.ndarray) -> bool:
    """Whether the ink closes around some paper (a hole): paper that a fill from outside cannot
    reach. A shape filled in has none; a bold 0, 6, 8 or 9 keeps one, however small."""
    # floodfill writes in place: on an image of its own (fromarray's may share the array's memory)
    paper = Image.fromarray(np.pad(~ink, 1, constant_values=True).astype(np.uint8) * 255).copy()
    ImageDraw.floodfill(paper, (0, 0), 0)
    return bool(np.asarray(paper).any())


def euler_number(ink: np.ndarray) -> float:
    """Connected pieces minus holes of a binary image (8-connectivity), by Gray's 2x2 quad count."""
    p = np.pad(ink, 1).astype(np.int8)
    a, b, c, d = p[:-1, :-1], p[:-1, 1:], p[1:, :-1], p[1:, 1:]
    total = a + b + c + d
    diagonal = (total == 2) & (a == d)
    return float(((total == 1).sum() - (total == 3).sum() - 2 * diagonal.sum()) / 4)
