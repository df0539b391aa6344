"""Split a drawing of a number, written left to right on one line, into its digits.

The ink falls into connected pieces. Pieces that share most of their horizontal extent are
one digit (a 5's detached bar, a 4 or 7 drawn in two strokes); small specks join the piece
nearest to them (the dot at the end of a fast stroke); the others are separate digits.
Handwriting leans, so the boxes of neighbouring digits overlap: extents are measured along
the line's slant, estimated from the ink itself. A piece far wider than the line is tall is
two digits that touch, and is cut where its ink is thinnest.

Each digit comes back as a part of the ink map (cnn.preprocess.ink_map), for
cnn.preprocess.prepare_ink: the same path as a single digit. A drawing that holds one digit
comes back whole, so it reads exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

from .preprocess import ink_map, working_factor

# A piece at least this share of the line's height is a digit (or most of one).
TALL = 0.75
# A shorter piece is part of a digit when they share this much of the narrower one's extent
# (along the slant): a 5's bar sits over its body, a 7's bar over its stem.
SAME_DIGIT_OVERLAP = 0.5
# A shorter piece closer than this share of the line's height to a digit is part of it: an
# open 4 whose bar stops short of its stem. Digits of a number stand further apart than that.
JOIN_GAP = 0.06
# A piece smaller than this share of the line's height (both ways) is a speck of some digit.
SPECK = 0.2
# A piece wider than this many times the line's height is digits that touch. Drawings of
# single validation digits (the benchmarks' generators, MNIST's last 5,000 training digits):
# width / height has its 50th, 99th and 99.9th percentiles at 0.70, 1.41 and 1.97.
TOUCHING_WIDTH = 2.0
# From this width on (half of single digits are wider), a piece may be one digit or two that
# touch ("00" is about 1.15 wide): cnn.serve reads it both ways and keeps a cut only when its
# sides read as far surer digits (CUT_EVIDENCE).
MAYBE_TOUCHING_WIDTH = 0.7
# Wider than this, at least three digits touch: too many ways to cut them to try while drawing.
MAX_CUT_WIDTH = 3.0
CUTS = 3  # cuts tried in a piece that may be digits that touch: its deepest ink valleys
CUT_MARGIN = 0.25  # each side of a cut keeps this share of the line's height: about a 1's width
# Lean (x per unit of y) beyond this is not handwriting's slant; the estimate is clipped.
MAX_SLANT = 0.6
MAX_DIGITS = 24  # more pieces than this are a scribble or a texture, not a number


@dataclass(frozen=True)
class Digit:
    """One digit of a drawing."""

    ink: np.ndarray  # an ink map holding only this digit's ink (float32, cropped to `box`)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels, x1 and y1 exclusive
    too_wide: bool = False  # wider than one digit can be: digits that touch
    # For a piece that may be digits that touch: ways to cut it in two where its ink is
    # thinnest (cnn.serve keeps the best cut whose sides read as likelier, sure digits).
    cuts: tuple[tuple[Digit, Digit], ...] = ()


def split_digits(image: Image.Image | np.ndarray) -> list[Digit]:
    """The digits of a one-line number, left to right; [] when there is no ink."""
    ink = ink_map(image)
    labels, count = _components(ink > 0)
    if count == 0:
        return []
    factor = working_factor(image.size if isinstance(image, Image.Image) else (ink.shape[1], ink.shape[0]))
    if count > 4 * MAX_DIGITS:  # noise: no grouping would make digits of it
        return [_digit(ink, ink > 0, factor, 0.0, 0.0, 1.0, cut=False)]
    masks, slant, centre_y, line = _group(labels, count)
    if len(masks) == 1:
        masks = [ink > 0]  # all the ink: exactly prepare(image)
    if len(masks) > MAX_DIGITS:
        return [_digit(ink, mask, factor, slant, centre_y, line, cut=False) for mask in masks]
    return [_digit(ink, mask, factor, slant, centre_y, line) for mask in masks]


def _digit(ink: np.ndarray, mask: np.ndarray, factor: int, slant: float, centre_y: float, line: float, cut: bool = True) -> Digit:
    """The Digit of this mask, with ways to cut it when it is wide enough to be two digits."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    part = np.where(mask[y0:y1, x0:x1], ink[y0:y1, x0:x1], 0).astype(np.float32)
    box = tuple(int(v) * factor for v in (x0, y0, x1, y1))
    ys, xs = np.nonzero(mask)
    width = np.ptp(xs + slant * (ys - centre_y)) + 1
    cuts = _cuts(mask, slant, centre_y, line) if cut and MAYBE_TOUCHING_WIDTH * line < width <= MAX_CUT_WIDTH * line else []
    return Digit(
        part,
        box,
        too_wide=bool(width > TOUCHING_WIDTH * line),
        cuts=tuple(tuple(_digit(ink, side, factor, slant, centre_y, line) for side in pair) for pair in cuts),
    )


def _components(binary: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components: a label image (0: background, 1..n) and n.

    Works on horizontal runs of ink, so a drawing costs in runs (a few thousand), not pixels."""
    height, width = binary.shape
    edges = np.diff(np.pad(binary, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    run_rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # exclusive; same order as the starts
    n = len(starts)
    if n == 0:
        return np.zeros(binary.shape, np.int32), 0
    # Runs in row r - 1 touching run k of row r (8-connected): start <= end_k and end >= start_k.
    # Keys order the runs row by row, so those runs are one contiguous range of the arrays.
    stride = width + 2
    start_keys, end_keys = run_rows * stride + starts, run_rows * stride + ends
    above = (run_rows - 1) * stride
    first = np.searchsorted(end_keys, above + starts, side="left")
    last = np.searchsorted(start_keys, above + ends, side="right")
    reach = np.clip(last - first, 0, None)
    lower = np.repeat(np.arange(n), reach)
    upper = np.repeat(first, reach) + (np.arange(reach.sum()) - np.repeat(np.cumsum(reach) - reach, reach))
    # Each run takes the smallest run index it is joined to, until nothing changes.
    parent = np.arange(n)
    while True:
        low = np.minimum(parent[lower], parent[upper])
        before = parent.copy()
        np.minimum.at(parent, lower, low)
        np.minimum.at(parent, upper, low)
        parent = parent[parent]  # pointer jumping: chains shorten by half each round
        if np.array_equal(parent, before):
            break
    roots, run_label = np.unique(parent, return_inverse=True)
    labels = np.zeros((height, width + 1), np.int32)
    # Paint the runs: +label at each start, -label at each end, then a running sum per row.
    np.add.at(labels, (run_rows, starts), run_label + 1)
    np.add.at(labels, (run_rows, ends), -(run_label + 1))
    return np.cumsum(labels, axis=1)[:, :width], len(roots)


def _slant(labels: np.ndarray, count: int) -> float:
    """The line's lean (x per unit of y, right-leaning positive): the ink's x-y covariance
    within each piece over its y variance, pooled over the pieces (MNIST's deskew, per piece)."""
    ys, xs = np.nonzero(labels)
    piece = labels[ys, xs]
    n = np.bincount(piece, minlength=count + 1).astype(np.float64)
    safe = np.maximum(n, 1)
    mean_x, mean_y = np.bincount(piece, xs, count + 1) / safe, np.bincount(piece, ys, count + 1) / safe
    dx, dy = xs - mean_x[piece], ys - mean_y[piece]
    var_y = float((dy * dy).sum())
    if var_y <= 0:
        return 0.0
    return float(np.clip(-(dx * dy).sum() / var_y, -MAX_SLANT, MAX_SLANT))  # y grows downwards


def _group(labels: np.ndarray, count: int) -> tuple[list[np.ndarray], float, float, float]:
    """Masks of the digits, left to right; the slant, the y it is measured from, the line's height."""
    slant = _slant(labels, count)
    ys, xs = np.nonzero(labels)
    piece = labels[ys, xs] - 1
    along = xs + slant * (ys - ys.mean())  # x measured along the slant: an upright lean
    left = np.full(count, np.inf)
    right = np.full(count, -np.inf)
    top = np.full(count, np.inf)
    bottom = np.full(count, -np.inf)
    np.minimum.at(left, piece, along)
    np.maximum.at(right, piece, along)
    np.minimum.at(top, piece, ys)
    np.maximum.at(bottom, piece, ys)
    heights = bottom - top + 1
    line = float(heights.max())  # the digits' height: within +-12% of each other, the tallest

    # Pieces, tallest first. A full-height piece is a digit of its own, unless it sits above or
    # below a digit rather than beside it (a 5 whose bar came apart, an 8 drawn as two loops).
    # A shorter piece joins the digit whose extent it shares most (a 5's or 7's bar), or the
    # nearest within JOIN_GAP (an open 4's L), or else stands alone; a speck joins the nearest.
    # Two full-height pieces side by side stay apart however close they lean: two 1s.
    spans = {k: [left[k], right[k] + 1, top[k], bottom[k] + 1] for k in range(count)}
    groups: dict[int, list[int]] = {}
    for k in sorted(range(count), key=lambda k: (-heights[k], left[k])):
        span = spans[k]
        shared = {g: _shared(span, spans[g]) for g in groups}
        within = [g for g in groups if shared[g] >= SAME_DIGIT_OVERLAP * min(_width(span), _width(spans[g]))]
        target = None
        if heights[k] >= TALL * line:
            stacked = [g for g in within if _shared(span[2:], spans[g][2:]) < 0.5 * min(heights[k], spans[g][3] - spans[g][2])]
            target = max(stacked, key=shared.get, default=None)
        elif within:
            target = max(within, key=shared.get)
        elif groups:
            nearest = min(groups, key=lambda g: _gap(span, spans[g]))
            if _gap(span, spans[nearest]) < JOIN_GAP * line or max(_width(span), heights[k]) < SPECK * line:
                target = nearest
        if target is None:
            groups[k] = [k]
            continue
        groups[target].append(k)
        spans[target] = [min(spans[target][0], span[0]), max(spans[target][1], span[1]),
                         min(spans[target][2], span[2]), max(spans[target][3], span[3])]

    masks = [np.isin(labels, np.asarray(groups[g]) + 1) for g in sorted(groups, key=lambda g: spans[g][0])]
    return masks, slant, float(ys.mean()), line


def _shared(a: list[float], b: list[float]) -> float:
    """How much of their extents two spans share: along the slant ([left, right, ...]), or
    from top to bottom when given [top, bottom]."""
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def _width(span: list[float]) -> float:
    return max(span[1] - span[0], 1.0)


def _gap(a: list[float], b: list[float]) -> float:
    dx = max(a[0] - b[1], b[0] - a[1], 0.0)
    dy = max(a[2] - b[3], b[2] - a[3], 0.0)
    return float(np.hypot(dx, dy))


def _cuts(mask: np.ndarray, slant: float, centre_y: float, line: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """The piece split along the slant where its ink is thinnest: at the CUTS deepest valleys
    of its ink profile (columns with less ink than any within a tenth of the line's height),
    each side keeping CUT_MARGIN. Where round digits touch, the join can hold more ink than a
    cut through one of them: several are tried."""
    ys, xs = np.nonzero(mask)
    along = np.round(xs + slant * (ys - centre_y)).astype(np.int64)
    along -= along.min()
    profile = np.bincount(along).astype(np.float64)  # ink pixels in each slanted column
    margin, reach = int(CUT_MARGIN * line), max(1, int(0.1 * line))
    if len(profile) - 2 * margin < 1:
        return []
    padded = np.pad(profile, reach, constant_values=np.inf)
    lowest_near = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).min(axis=1)
    inside = np.arange(margin, len(profile) - margin)
    valleys = inside[profile[inside] <= lowest_near[inside]]
    chosen: list[int] = []
    for cut in valleys[np.argsort(profile[valleys], kind="stable")]:
        if all(abs(cut - other) > reach for other in chosen):  # one cut per valley
            chosen.append(int(cut))
            if len(chosen) == CUTS:
                break
    pairs = []
    for cut in chosen:
        left, right = np.zeros_like(mask), np.zeros_like(mask)
        left[ys[along < cut], xs[along < cut]] = True
        right[ys[along >= cut], xs[along >= cut]] = True
        pairs.append((left, right))
    return pairs
