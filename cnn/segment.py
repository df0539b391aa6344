"""Split a drawing of a number, written left to right on one line, into its digits.

The ink falls into connected pieces. A full-height piece is a digit; a shorter one belongs to
the digit it sits over or next to (a 5's detached bar, a 4 or 7 drawn in two strokes, the dot
at the end of a fast stroke). Handwriting leans, so the boxes of neighbouring digits overlap:
extents are measured along the line's slant, estimated from the ink itself. A line that rises
or falls is also split turned level (split_ways): in a photo taken with the phone turned the
digits turn with the line, and turned digits read worse; cnn.serve keeps the surer reading. The
boxes stay in the image's pixels. A piece wide enough to be two digits that touch also comes
with ways to cut it: straight where its ink is thinnest, and along the paths from top to bottom
that cross the least ink (digits that overlap), each side at least half as tall as the line;
cnn.serve reads them and keeps a cut only when the model is far surer of its two digits.

Each digit comes back as a part of the ink map (cnn.ink.ink_map), for
cnn.preprocess.prepare_ink: the same path as a single digit. A drawing that holds one digit
comes back whole, so it reads exactly as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .ink import ink_map, working_factor
from .pieces import Runs, components, ink_box, piece_rows

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
# A piece shorter than this share of the line's height is no digit of its own (the digits of
# a number differ by +-12%): a bar that came apart, from a 5 or a 7. It joins the nearest.
# On drawings of validation digits, single digits read as several fell from 11 to 3 of 2,000,
# and numbers with the right count of digits rose from 392 to 396 of 400.
SHORT = 0.5
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
CUTS = 3  # cuts of each kind tried in a piece that may be digits that touch (see _cuts)
SEAM_ROWS = 48  # seams are found on the piece reduced to about this many rows: about 1.2 ms a piece
SEAM_STEP = 0.01  # a seam's cost for a step sideways, in pixels of ink crossed
# A seam that puts less than this share of the piece's ink on other sides than a cut already
# found is that cut. On drawings of validation pairs that touch, as many are cut right (113 of
# 300) as with no such rule, 13 wrong instead of 15; a number reads 18 parts on average, not 21.
# (A one-off on the pairs of --choose-cut-evidence when their style digits were set (b)'s.)
SAME_CUT = 0.03
# Each side of a cut is at least this share of the line's height: SHORT's rule for pieces, applied
# to the pieces a cut makes. A shorter side is part of a digit, or a stroke of a letter (a tick cut
# at its corner: a short \ and a long /, each read as a sure 1). On validation drawings (`python
# benchmarks/bench_numbers.py --choose-cut-side`), against no such rule: letters and shapes shown as
# a sure number 124 -> 114 of 600, single digits drawn wide read right 1,403 -> 1,411 of 1,520,
# single digits 1,201 -> 1,202 of 1,220; touching pairs (335 of 900) and numbers whose digits all
# touch (76 of 300) the same. At 0.6: 109 non-digits, one pair fewer; at 0.7: 106, four fewer.
CUT_SIDE_SHORT = SHORT
CUT_MARGIN = 0.25  # each side of a cut keeps this share of the line's height: about a 1's width
# Lean (x per unit of y) beyond this is not handwriting's slant; the estimate is clipped.
MAX_SLANT = 0.6
MAX_DIGITS = 24  # more pieces than this are a scribble or a texture, not a number
# A number photographed with the phone turned has its digits turned with its line; one written
# uphill on a screen, upright. The line's tilt is fitted through the bottoms of its digits; under
# MIN_TILT degrees it is taken for a baseline that wavers, and over MAX_TILT the digits are not
# on a line. On validation numbers turned by up to 30 degrees, 2-4 degrees read best (turned
# level only: 95.67%, 85.00% as drawn); 6 and 8 read 1 and 2 of 600 fewer.
MIN_TILT = 4.0
MAX_TILT = 45.0


@dataclass(frozen=True)
class Digit:
    """One digit of a drawing."""

    ink: np.ndarray  # an ink map holding only this digit's ink (float32, cropped to it; split_ways' level way: turned level)
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in the image's pixels, x1 and y1 exclusive
    width: float = 0.0  # along the slant, as a share of the line's height
    # For a piece that may be digits that touch: ways to cut it in two where its ink is
    # thinnest (cnn.serve keeps the best cut whose sides read as likelier, sure digits).
    cuts: tuple[tuple[Digit, Digit], ...] = ()

    @property
    def too_wide(self) -> bool:
        """Wider than one digit can be: digits that touch."""
        return self.width > TOUCHING_WIDTH


@dataclass(frozen=True)
class _Line:
    """What every digit of a drawing is measured against."""

    slant: float  # x per unit of y, right-leaning positive
    centre_y: float  # the y the slant is measured from
    height: float  # the digits' height, in the ink map's pixels
    factor: int  # image pixels per ink-map pixel
    size: tuple[int, int]  # the image's width and height
    # For a line turned level (_level): where a pixel (x, y) of the turned map lies in the map as
    # drawn, (a x + b y + c, d x + e y + f), as (a, b, c, d, e, f).
    to_drawn: tuple[float, ...] | None = None

    def along(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """x measured along the slant: as if the writing stood upright."""
        return xs + self.slant * (ys - self.centre_y)

    def box(self, ys: np.ndarray, xs: np.ndarray) -> tuple[int, int, int, int]:
        """x0, y0, x1, y1 (exclusive) in the image's pixels of these pixels of the ink map."""
        if self.to_drawn:
            a, b, c, d, e, f = self.to_drawn
            xs, ys = a * xs + b * ys + c, d * xs + e * ys + f
        x0, y0 = max(0, int(xs.min())), max(0, int(ys.min()))
        x1, y1 = int(xs.max()) + 1, int(ys.max()) + 1
        # The ink map may be the image reduced by `factor` (rounded up): clip to the image.
        return x0 * self.factor, y0 * self.factor, min(x1 * self.factor, self.size[0]), min(y1 * self.factor, self.size[1])


def split_digits(image: Image.Image | np.ndarray) -> list[Digit]:
    """The digits of a one-line number, left to right, as drawn; [] when there is no ink."""
    return split_ways(image)[0]


def split_ways(image: Image.Image | np.ndarray) -> list[list[Digit]]:
    """The digits as drawn (split_digits) and, when the line they stand on is tilted, also turned
    level. A number photographed turned has its digits turned with its line; one written uphill
    on a screen keeps them upright; only the reading tells which (cnn.serve keeps the surer)."""
    ink = ink_map(image)
    labels, runs = components(ink > 0)
    if runs.count == 0:
        return [[]]
    size = image.size if isinstance(image, Image.Image) else (np.shape(image)[1], np.shape(image)[0])
    factor = working_factor(size)
    if runs.count > 4 * MAX_DIGITS:  # noise: no grouping would make digits of it
        return [[_digit(ink, ink > 0, (0, 0), _Line(0.0, 0.0, float(ink.shape[0]), factor, size), cut=False)]]
    groups, slant, centre_y, height = _group(runs)
    ways = [_digits(ink, labels, groups, _Line(slant, centre_y, height, factor, size))]
    tilt = _tilt([box for _, box in groups], height)
    if tilt:  # grouped again on the map turned level: a turned line groups worse too
        level, to_drawn = _level(ink, tilt)
        labels, runs = components(level > 0)
        groups, slant, centre_y, height = _group(runs)
        ways.append(_digits(level, labels, groups, _Line(slant, centre_y, height, factor, size, to_drawn)))
    return ways


def _level(ink: np.ndarray, tilt: float) -> tuple[np.ndarray, tuple[float, ...]]:
    """The ink turned `tilt` degrees counterclockwise, and where each of its pixels lies in `ink`
    (_Line.to_drawn). Cropped to the ink first: turning the paper around it would cost more."""
    rows, cols = ink_box(ink)
    crop = Image.fromarray(ink[rows, cols])
    level = crop.rotate(tilt, Image.Resampling.BILINEAR, expand=True)
    # PIL turns about the centre (pixel corners at integers); pixel centres lie at +0.5.
    cos, sin = math.cos(math.radians(tilt)), math.sin(math.radians(tilt))
    dx, dy = 0.5 - 0.5 * level.width, 0.5 - 0.5 * level.height
    c = 0.5 * crop.width - 0.5 + cols.start + cos * dx - sin * dy
    f = 0.5 * crop.height - 0.5 + rows.start + sin * dx + cos * dy
    return np.asarray(level), (cos, -sin, c, sin, cos, f)


def _digits(ink: np.ndarray, labels: np.ndarray, groups: list[tuple[list[int], tuple[int, int, int, int]]], line: _Line) -> list[Digit]:
    """The Digit of each group of pieces (_group's), left to right."""
    digits = []
    for members, (y0, y1, x0, x1) in groups:
        # Within its box, the group's pieces only: a neighbour that leans into the box stays out.
        # (One group is all the ink: it reads exactly as prepare(image) would.)
        mask = np.isin(labels[y0:y1, x0:x1], np.asarray(members) + 1)
        digits.append(_digit(ink, mask, (y0, x0), line, cut=len(groups) <= MAX_DIGITS))
    return digits


def _digit(ink: np.ndarray, mask: np.ndarray, origin: tuple[int, int], line: _Line, cut: bool = True, seams: bool = True) -> Digit:
    """The Digit of this mask (a window of the ink map whose top left is `origin`), with ways to
    cut it when it is wide enough to be two digits (along seams too, with `seams`)."""
    ys, xs = np.nonzero(mask)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    top, left = origin[0] + y0, origin[1] + x0
    mask = mask[y0:y1, x0:x1]
    part = np.where(mask, ink[top : top + mask.shape[0], left : left + mask.shape[1]], 0).astype(np.float32)
    box = line.box(ys + origin[0], xs + origin[1])
    along = line.along(ys + origin[0], xs + origin[1])
    width = np.ptp(along) + 1
    wide = cut and MAYBE_TOUCHING_WIDTH * line.height < width <= MAX_CUT_WIDTH * line.height
    pairs = _cuts(mask, ys - y0, xs - x0, along, line, seams) if wide else []
    return Digit(
        part,
        box,
        width=float(width / line.height),
        # A side is cut again (three digits that touch) at its valleys only: with seams there too,
        # one piece of a validation pair was read in 219 parts.
        cuts=tuple(tuple(_digit(ink, side, (top, left), line, seams=False) for side in pair) for pair in pairs),
    )


def _tilt(boxes: list[tuple[int, int, int, int]], height: float) -> float:
    """Degrees to turn the ink (counterclockwise) to level the line its digits stand on, fitted
    through the bottoms of the full-height digits' boxes (y0, y1, x0, x1); 0 for one digit."""
    bottoms = [(0.5 * (x0 + x1), y1) for y0, y1, x0, x1 in boxes if y1 - y0 >= TALL * height]
    if len(bottoms) < 2:
        return 0.0
    x, y = np.asarray(bottoms, dtype=np.float64).T
    if np.ptp(x) < 1:  # digits stacked one over another stand on no line (and the fit is singular)
        return 0.0
    angle = math.degrees(math.atan(np.polyfit(x, y, 1)[0]))
    return angle if MIN_TILT <= abs(angle) <= MAX_TILT else 0.0


def _slant(runs: Runs) -> float:
    """The line's lean (x per unit of y, right-leaning positive): the ink's x-y covariance
    within each piece over its y variance, pooled over the pieces (MNIST's deskew, per piece).
    Sums over each run in closed form: sum of x, of x squared, and of x y."""
    y, a, b = runs.row.astype(np.float64), runs.start.astype(np.float64), runs.end.astype(np.float64) - 1
    n = b - a + 1
    sx = n * (a + b) / 2
    sy, syy, sxy = n * y, n * y * y, sx * y

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(runs.piece, values, runs.count)

    count = total(n)
    var_y = (total(syy) - total(sy) ** 2 / count).sum()
    cov = (total(sxy) - total(sx) * total(sy) / count).sum()
    if var_y <= 0:
        return 0.0
    return float(np.clip(-cov / var_y, -MAX_SLANT, MAX_SLANT))  # y grows downwards


def _group(runs: Runs) -> tuple[list[tuple[list[int], tuple[int, int, int, int]]], float, float, float]:
    """The digits, left to right, as (pieces, box: y0, y1, x0, x1 of the ink map); the slant,
    the y it is measured from, and the digits' height."""
    slant = _slant(runs)
    centre_y = float(np.average(runs.row, weights=runs.end - runs.start))
    shift = slant * (runs.row - centre_y)  # x measured along the slant: an upright lean
    count = runs.count

    def per_piece(reduce: np.ufunc, values: np.ndarray, start: float) -> np.ndarray:
        out = np.full(count, start)
        reduce.at(out, runs.piece, values)
        return out

    left, right = per_piece(np.minimum, runs.start + shift, np.inf), per_piece(np.maximum, runs.end + shift, -np.inf)
    top, bottom = piece_rows(runs)
    x0, x1 = per_piece(np.minimum, runs.start, np.inf), per_piece(np.maximum, runs.end, -np.inf)
    heights = bottom - top
    tallest = float(heights.max())  # the digits' height: they differ by +-12% at most

    # Pieces, tallest first. A full-height piece is a digit of its own, unless it sits above or
    # below a digit rather than beside it (a 5 whose bar came apart, an 8 drawn as two loops).
    # A shorter piece joins the digit whose extent it shares most (a 5's or 7's bar), or the
    # nearest within JOIN_GAP (an open 4's L), or else stands alone; a piece under half the
    # height (a bar that drifted off) or a speck joins the nearest.
    # Two full-height pieces side by side stay apart however close they lean: two 1s.
    spans = {k: [left[k], right[k], top[k], bottom[k], x0[k], x1[k]] for k in range(count)}
    groups: dict[int, list[int]] = {}
    for k in sorted(range(count), key=lambda k: (-heights[k], left[k])):
        span = spans[k]
        shared = {g: _shared(span, spans[g]) for g in groups}
        within = [g for g in groups if shared[g] >= SAME_DIGIT_OVERLAP * min(_width(span), _width(spans[g]))]
        target = None
        if heights[k] >= TALL * tallest:
            stacked = [g for g in within if _shared(span[2:], spans[g][2:]) < 0.5 * min(heights[k], spans[g][3] - spans[g][2])]
            target = max(stacked, key=shared.get, default=None)
        elif within:
            target = max(within, key=shared.get)
        elif groups:
            nearest = min(groups, key=lambda g: _gap(span, spans[g]))
            if _gap(span, spans[nearest]) < JOIN_GAP * tallest or heights[k] < SHORT * tallest or max(_width(span), heights[k]) < SPECK * tallest:
                target = nearest
        if target is None:
            groups[k] = [k]
            continue
        groups[target].append(k)
        spans[target] = [min(spans[target][i], span[i]) if i % 2 == 0 else max(spans[target][i], span[i]) for i in range(6)]

    ordered = sorted(groups, key=lambda g: spans[g][0])
    boxes = [(int(spans[g][2]), int(spans[g][3]), int(spans[g][4]), int(spans[g][5])) for g in ordered]
    return [(groups[g], box) for g, box in zip(ordered, boxes)], slant, centre_y, tallest


def _shared(a: list[float], b: list[float]) -> float:
    """How much of their extents two spans share: along the slant ([left, right, ...]), or
    from top to bottom when given [top, bottom, ...]."""
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def _width(span: list[float]) -> float:
    return max(span[1] - span[0], 1.0)


def _gap(a: list[float], b: list[float]) -> float:
    dx = max(a[0] - b[1], b[0] - a[1], 0.0)
    dy = max(a[2] - b[3], b[2] - a[3], 0.0)
    return float(np.hypot(dx, dy))


def _cuts(mask: np.ndarray, ys: np.ndarray, xs: np.ndarray, along: np.ndarray, line: _Line, seams: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """The piece (its mask, the mask's ink pixels and their x along the slant) split in two,
    each side keeping CUT_MARGIN: straight along the slant at the CUTS deepest valleys of its ink
    profile (columns with less ink than any within a tenth of the line's height) and, with
    `seams`, along the CUTS paths from top to bottom that cross the least ink (_seams). Where
    round digits touch, the join can hold more ink than a cut through one of them: several are
    tried. Where digits overlap, only a path that bends around one of them parts them."""
    along = np.round(along).astype(np.int64)
    along -= along.min()
    profile = np.bincount(along).astype(np.float64)  # ink pixels in each slanted column
    margin, reach = max(1, int(CUT_MARGIN * line.height)), max(1, int(0.1 * line.height))  # both sides keep ink
    if len(profile) - 2 * margin < 1:
        return []
    lefts = [along < cut for cut in _deepest(profile, reach, margin, len(profile) - margin)]
    for left in _seams(ys, along, line) if seams else []:
        # A seam that parts the ink nearly as a valley (or another seam) does adds nothing but time.
        if all(np.count_nonzero(left != other) > SAME_CUT * len(along) for other in lefts):
            lefts.append(left)
    pairs = []
    for left in lefts:
        if min(np.ptp(ys[left]), np.ptp(ys[~left])) + 1 < CUT_SIDE_SHORT * line.height:
            continue
        sides = np.zeros_like(mask), np.zeros_like(mask)
        sides[0][ys[left], xs[left]] = True
        sides[1][ys[~left], xs[~left]] = True
        pairs.append(sides)
    return pairs


def _seams(ys: np.ndarray, along: np.ndarray, line: _Line) -> list[np.ndarray]:
    """For each of the CUTS paths from the piece's top to its bottom that cross the least ink,
    which ink pixels lie left of it (`ys`: their rows; `along`: their whole columns along the
    slant, from 0). Each row, a path moves at most one column sideways, and it keeps CUT_MARGIN
    from the ink's sides. Found by dynamic programming on the ink reduced to about SEAM_ROWS rows."""
    k = max(1, int(line.height // SEAM_ROWS))
    rows, columns = ys // k, along // k
    ink = np.zeros((rows.max() + 1, columns.max() + 1))
    ink[rows, columns] = 1.0
    margin, reach = max(1, int(CUT_MARGIN * line.height / k)), max(1, int(0.1 * line.height / k))
    cost = ink[:, margin : ink.shape[1] - margin]
    height, width = cost.shape
    if width < 1:
        return []
    # total[x]: the least ink crossed by a path from the top to (row, x); step: where it came from.
    total = cost[0].copy()
    step = np.zeros((height, width), np.int64)
    for row in range(1, height):
        # A sideways step costs a little: through paper, a path goes straight along the slant.
        came = np.stack([np.r_[np.inf, total[:-1]] + SEAM_STEP, total, np.r_[total[1:], np.inf] + SEAM_STEP])
        step[row] = came.argmin(axis=0) - 1
        total = cost[row] + came.min(axis=0)
    lefts = []
    for end in _deepest(total, reach, 0, width):
        path = np.empty(height, np.int64)
        path[-1] = end
        for row in range(height - 1, 0, -1):
            path[row - 1] = path[row] + step[row, path[row]]
        lefts.append(columns < path[rows] + margin)
    return lefts


def _deepest(values: np.ndarray, reach: int, first: int, stop: int) -> list[int]:
    """Up to CUTS indices in [first, stop) where `values` is lowest within `reach` either side,
    lowest first, each further than `reach` from those chosen before it (one per valley)."""
    padded = np.pad(values, reach, constant_values=np.inf)
    lowest_near = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).min(axis=1)
    inside = np.arange(first, stop)
    minima = inside[values[inside] <= lowest_near[inside]]
    chosen: list[int] = []
    for index in minima[np.argsort(values[minima], kind="stable")]:
        if all(abs(index - other) > reach for other in chosen):
            chosen.append(int(index))
            if len(chosen) == CUTS:
                break
    return chosen
