"""Where the ink is in any picture: a map of it, whatever the paper, ink colour or transparency.

A drawing on the sketchpad is ink on a transparent layer. An upload is ink on paper: a canvas of
one colour, or a photo of a page, unevenly lit, lying on a desk, with its printed lines and its
edge near the photo's border. ink_map finds the ink in all of them; cnn.preprocess turns it into
MNIST's 28x28, and cnn.segment splits it into the digits of a number.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from .marks import off_the_marks
from .pieces import ink_box, run_lengths

# Images larger than this (long side, pixels) are box-reduced first: the result is 20 px
# tall anyway, and it keeps the cost of a huge photo at a few milliseconds.
MAX_WORKING_SIDE = 1024
# Below this luminance (or alpha) difference from the paper there is no ink: a blank canvas.
MIN_CONTRAST = 0.08
# Ink weaker than this share of the strongest ink is paper texture, shadow or JPEG noise.
INK_FLOOR = 0.2
# A photo of a page is lit unevenly (light falling off to one side, the shadow of a hand or the
# phone): read against its border's median, the shaded paper is as dark as ink. Where the paper
# varies by more than this, its brightness is fitted as a smooth surface (paper_lighting) and ink
# is what reflects less than the paper where it lies.
UNEVEN_PAPER = 0.05
LIGHTING_GRID = 64  # the surface is fitted on the image reduced to about this many px a side
PAPER_DEVIATION = 0.1  # paper lies within this of a smooth surface; ink (pencil too) further
# In such a photo, ink is kept only within this many px (at the working scale) of strong ink
# (half the strongest or more): sensor noise, JPEG blocks and the page's lines away from the
# strokes would otherwise stretch the digit's box over the whole page.
NEAR_STROKES = 3
# A photo may show the desk under the page (off_the_page): the page's paper fills at least PAGE_FILL
# of what is not desk, and lies in a region whose cells step by less than PAGE_EDGE.
PAGE_FILL = 0.8
PAGE_EDGE = 0.06
MIN_PAGE = 0.25  # of the photo's cells: the page is at least a quarter of the photo
EDGE_BAND = 2 / LIGHTING_GRID
# The page's own lines (_off_the_lines): a notebook's margin line, a header line, ruled lines dark
# enough to count as ink. They run straight from edge to edge, within MAX_LINE_TILT of the picture's
# sides (a tilt of 0.09 is 5 degrees), and are at most LINE_WIDTH of the long side wide.
MAX_LINE_TILT = 0.09
LINE_WIDTH = 0.02
LINE_COVER = 0.9  # of the picture's rows (or columns) that the line's ink crosses
MAX_LINE_PAIRS = 64  # more pairs of line ends than this: ink all along the edges, noise
LINE_END = 8  # px: a line's ends are read in this many rows along the edge (at 5 degrees, 11 rows per column)
# What the page's edge leaves near the photo's border (_off_the_border): pieces of ink in the outer
# BORDER_BAND of the photo (of its long side) that stay more than BORDER_GAP from the writing, which
# reaches further in. A piece is the writing's still where it lies within BORDER_SLACK of the
# writing's height around the writing's box, or on its line (rows), at least half as tall and at
# most BORDER_BESIDE of its height beside it: a digit of a number, near the border (the benchmark's
# numbers leave 0.1-0.6 of the height between digits).
BORDER_BAND = 0.2
BORDER_GAP = 2 / LIGHTING_GRID
BORDER_SLACK = 0.25
BORDER_BESIDE = 0.75
# A printed box around the writing (a form's box, a frame drawn with a ruler): four straight lines,
# each one thin run of rows (a filled shape or noise is no frame) that covers FRAME_COVER of a side
# of the ink's box within FRAME_BAND of that side, with ink inside them. What lies inside is kept:
# a stroke that runs out over the box's line loses its tip.
FRAME_COVER = 0.9
FRAME_BAND = 0.15
FRAME_TILT = 0.01  # lines may lean this much (x per y): about half a degree
FRAME_WALL_APART = 0.05


def _as_image(image: Image.Image | np.ndarray) -> Image.Image:
    if isinstance(image, Image.Image):
        return image
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise ValueError(f"expected an image array of shape (H, W) or (H, W, 2|3|4), got {array.shape}")
    if array.dtype == np.uint16 and array.ndim == 2:
        return Image.fromarray(array)  # uint16 -> mode I;16
    if array.dtype != np.uint8:
        scale = 65535.0 if array.dtype == np.uint16 else 255.0 if array.dtype.kind in "iu" else 1.0
        array = np.clip(np.nan_to_num(array.astype(np.float64) / scale) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 2:
        return Image.merge("LA", [Image.fromarray(array[:, :, 0]), Image.fromarray(array[:, :, 1])])
    return Image.fromarray(array)


INTEGER_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")  # greys deeper than 8 bits: luminance only, as "F"


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in INTEGER_MODES or image.mode == "F":
        return False
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info


def _luminance(image: Image.Image) -> np.ndarray:
    """Luminance in [0, 1], transparency ignored."""
    if image.mode in INTEGER_MODES:
        values = np.asarray(image, dtype=np.float32)
        return values / (65535.0 if values.max(initial=0) > 255 else 255.0)
    if image.mode == "F":
        return np.clip(np.nan_to_num(np.asarray(image, dtype=np.float32)), 0, 1)
    # PIL's own conversion (ITU-R 601 luma) in C: 3x faster than doing it on float arrays.
    return np.asarray(image.convert("L"), dtype=np.float32) / 255.0


def _border(values: np.ndarray) -> np.ndarray:
    return np.concatenate([values[0], values[-1], values[:, 0], values[:, -1]])


def working_factor(size: tuple[int, int]) -> int:
    """How many image pixels make one pixel of ink_map's result, along each side."""
    return max(1, math.ceil(max(size) / MAX_WORKING_SIDE))


def ink_map(image: Image.Image | np.ndarray) -> np.ndarray:
    """Float32 (H, W) map of ink in [0, 1], whatever the paper, ink colour or transparency.

    The paper is what the border shows: transparent paper means ink is alpha; opaque paper
    means ink is the luminance difference from it, in whichever direction the ink goes. Paper
    photographed in uneven light is fitted as a smooth surface first (paper_lighting). In a photo,
    the desk around the page (off_the_page), the page's own lines (_off_the_lines) and what the
    page's edge leaves near the photo's border (_off_the_border) are not ink; nor, on any opaque
    paper, is a printed box around the writing (_off_the_frame); nor, on any paper, are the lines
    and rings people draw under and around what they wrote (cnn.marks).
    """
    image = _as_image(image)
    factor = working_factor(image.size)
    if factor > 1:
        if image.mode.startswith("I;16"):
            image = image.convert("I")
        elif image.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
            image = image.convert("RGBA" if "transparency" in image.info or "A" in image.mode else "RGB")
        image = image.reduce(factor)
    alpha = None
    if _has_alpha(image):
        image = image if image.mode == "RGBA" else image.convert("RGBA")  # once, for alpha and luminance
        alpha = np.asarray(image.getchannel("A"), dtype=np.float32) / 255.0
    if alpha is not None and np.median(_border(alpha)) < 0.5:
        # Ink on a transparent canvas (the sketchpad's): whatever its colour, alpha is the ink,
        # so the luminance is not even computed. Nothing is printed on it (a form's box).
        return off_the_marks(_scaled(alpha))
    luminance = _luminance(image)
    if alpha is not None:  # opaque paper with transparent holes: the holes are paper
        opaque = _border(alpha) >= 0.5
        paper = float(np.median(_border(luminance)[opaque]))
        luminance = alpha * luminance + (1 - alpha) * paper
    border = _border(luminance)
    # A photo or a scan with grain or lines along most of its border: a page, not a canvas.
    grainy = np.median(np.abs(border - np.median(border))) > 0
    if grainy:  # the paper is read inside the edge band, where a sliver of desk may lie (_off_the_edges)
        luminance = off_the_page(luminance)
        band = _edge_band(luminance.shape)
        border = _border(luminance[band:-band, band:-band]) if min(luminance.shape) > 2 * band else _border(luminance)
    paper = float(np.median(border))
    dark_ink = paper >= 0.5
    # Only a border that varies can belong to unevenly lit paper: a canvas's is one colour.
    lighting = paper_lighting(luminance, dark_ink) if np.ptp(border) > UNEVEN_PAPER else None
    if lighting is not None:
        # Light falls on paper and ink alike: dark ink reflects a share of what the paper
        # there reflects; light ink on a dark board is what is brighter than the board there.
        difference = 1 - luminance / np.maximum(lighting, MIN_CONTRAST) if dark_ink else luminance - lighting
    else:
        difference = paper - luminance if dark_ink else luminance - paper
    if lighting is not None or grainy:
        return off_the_marks(_off_the_frame(_off_the_border(_near_strokes(_scaled(_off_the_edges(_off_the_lines(difference)))))))
    return off_the_marks(_off_the_frame(_scaled(difference)))


def _scaled(difference: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] from the difference to the paper: the strongest ink is 1, and ink weaker than
    INK_FLOOR of it is paper; no ink at all when the strongest is under MIN_CONTRAST."""
    contrast = float(difference.max(initial=0))
    if contrast < MIN_CONTRAST:
        return np.zeros(difference.shape, dtype=np.float32)
    ink = (difference / contrast - INK_FLOOR) / (1 - INK_FLOOR)
    return np.clip(ink, 0, 1).astype(np.float32)


def _off_the_edges(difference: np.ndarray) -> np.ndarray:
    """`difference` without ink that hugs the picture's edge within EDGE_BAND of its long side and
    does not go on inwards: a sliver of desk or the page's edge, too thin for off_the_page's cells.
    A digit that the picture cuts goes on inwards and is kept."""
    contrast = float(difference.max(initial=0))
    if contrast < MIN_CONTRAST:
        return difference
    band = _edge_band(difference.shape)
    if min(difference.shape) <= 2 * band:
        return difference
    level = INK_FLOOR * contrast
    reach = np.ones(2 * band + 1)
    drops = []
    # Top, left, bottom and right. Whether ink goes on inwards is read between the other two
    # sides' bands, where a sliver along those sides cannot keep a corner's.
    for side in (difference, difference.T, difference[::-1], difference.T[::-1]):
        inward = side[band] >= level
        inward[:band] = inward[-band:] = False
        goes_on = np.convolve(inward, reach, mode="same") > 0
        at_edge = np.convolve(side[0] >= level, reach, mode="same") > 0  # a stroke near the edge is spared
        drops.append(at_edge & ~goes_on)
    if not any(drop.any() for drop in drops):
        return difference
    out = difference.copy()
    for side, drop in zip((out, out.T, out[::-1], out.T[::-1]), drops):  # views: writing them writes out
        side[:band, drop] = 0
    return out


def _off_the_lines(difference: np.ndarray) -> np.ndarray:
    """`difference` without the page's lines: ink that runs straight from one edge of the picture
    to the opposite one, thin (LINE_WIDTH). Where ink crosses such a line, the line is wider there
    and kept, so a digit written over a margin line keeps its strokes. Lines are left alone where
    they may be the digit's own straight stroke, cropped tight (see below and _page_lines)."""
    contrast = float(difference.max(initial=0))
    if contrast < MIN_CONTRAST:
        return difference
    level = INK_FLOOR * contrast
    erase = np.zeros(difference.shape, bool)
    # Lines from top to bottom, then from left to right, on what the first left: where two lines
    # cross, each is wider there than its own width, and would keep the other's crossing.
    _page_lines(difference, level, erase)
    _page_lines(np.where(erase, 0, difference).T if erase.any() else difference.T, level, erase.T)
    on_lines = difference[erase]
    lines = on_lines[on_lines >= level]
    if not len(lines):
        return difference
    # What is left must hold ink about as dark as the lines (half or more), not noise alone, and
    # lie off the picture's edges: a digit cropped tight reaches them (then the "line" is its
    # straight stroke: the stem of a 1 or a 7), a digit written on a page rarely does.
    rest = (difference >= 0.5 * float(np.median(lines))) & ~erase
    rows, cols = rest.any(axis=1), rest.any(axis=0)
    at_edges = rows[:LINE_END].any() + rows[-LINE_END:].any() + cols[:LINE_END].any() + cols[-LINE_END:].any()
    if np.count_nonzero(rest) < 0.02 * len(lines) or at_edges >= 2:
        return difference
    out = difference.copy()
    out[erase] = 0
    return out


def _page_lines(difference: np.ndarray, level: float, erase: np.ndarray) -> None:
    """Marks in `erase` (`difference`'s shape, written in place) the lines of ink (`level` or more)
    that run from the top edge to the bottom edge, straight and within MAX_LINE_TILT of upright."""
    height, width = difference.shape
    if height <= 4 * LINE_END or width < height / 4:  # a strip along the line: a stroke cropped tight, no page
        return
    reach = max(3, math.ceil(LINE_WIDTH * max(height, width)))  # 3 or more: the centre is read within 2 px
    # Where lines leave the picture: ink in most of the rows along an edge. A line along the edge
    # (a ruled line) adds the same to every column there.
    columns = np.arange(width)[None]
    ends = []
    for rows in (slice(0, LINE_END), slice(height - LINE_END, height)):
        profile = difference[rows].mean(axis=0)[None]
        ends.append(_run_centres((profile - _paper_beside(profile, columns, reach) >= level)[0]))
    tops, bottoms = ends
    pairs = [(top, bottom) for top in tops for bottom in bottoms[np.abs(bottoms - top) <= MAX_LINE_TILT * height]]
    if len(pairs) > MAX_LINE_PAIRS:  # ink all along the edges: noise, not a page with a few lines
        return
    rows = np.arange(height)
    offsets = np.arange(-reach, reach + 1)
    for top, bottom in pairs:
        centre = np.round(top + (bottom - top) * (rows - LINE_END / 2) / (height - LINE_END)).astype(int)
        paper = _paper_beside(difference, centre[:, None], reach)
        # The line's ink near its centre (the ends' centres are read to a pixel or two)...
        near = difference[rows[:, None], np.clip(centre[:, None] + np.arange(-2, 3), 0, width - 1)] - paper
        peak = near.max(axis=1)
        if (peak >= level).mean() < LINE_COVER:
            continue
        spread = centre[:, None] + offsets
        inside = (spread >= 0) & (spread < width)
        window = np.where(inside, difference[rows[:, None], np.clip(spread, 0, width - 1)], 0) - paper
        # ...and its width, row by row: the run around its darkest pixel near the centre of what is
        # at least half as dark as the line (a faint line's noise does not widen it).
        half = max(level, 0.5 * float(np.median(peak[peak >= level])))
        strong = window >= half
        anchor = reach - 2 + near.argmax(axis=1)
        left, right = run_lengths(strong, anchor)
        lined = strong[rows, anchor]
        if not lined.any():  # no row half as dark as the line where it was looked for: no line (and no median)
            continue
        runs = left + right - 1
        line_width = float(np.median(runs[lined]))
        if line_width > reach:  # wider than a page's line: a pen's stroke (a 7's stem cropped tight)
            continue
        # Where ink crosses the line, the run is wider: the crossing ink is kept. Elsewhere the
        # line's own width is erased about its middle, fitted straight through the rows where it
        # runs alone, and so also where noise or JPEG breaks it up.
        alone = lined & (runs <= line_width + 2)
        crossed = lined & ~alone
        if alone.sum() < LINE_COVER * height / 2:  # crossed more than it runs alone: no page's line
            continue
        if crossed[:LINE_END].any() or crossed[-LINE_END:].any():  # a stem meeting its bar or flag at the crop's edge
            continue
        middle = _fitted_line(rows[alone], (spread[rows, anchor] + (right - left) / 2)[alone], rows) - centre
        # A line is ink all along its middle (read as it is, so that a stroke running along the line
        # counts); noise is ink here and there.
        if (difference[rows, np.clip(centre + np.round(middle).astype(int), 0, width - 1)] >= half).mean() < LINE_COVER:
            continue
        spans = ~crossed[:, None] & (np.abs(offsets - middle[:, None]) <= line_width / 2 + 1) & inside
        erase[np.broadcast_to(rows[:, None], spans.shape)[spans], spread[spans]] = True


def _paper_beside(values: np.ndarray, at: np.ndarray, reach: int) -> np.ndarray:
    """Per row of `values`, the paper beside a line at columns `at`: the lesser value `reach` px
    either side. Ink is read against it, so that paper the lighting fit leaves a little dark does
    not pass for ink."""
    def shifted(by: int) -> np.ndarray:
        return np.take_along_axis(values, np.clip(at + by, 0, values.shape[1] - 1), axis=1)
    return np.minimum(shifted(-reach), shifted(reach))


def _fitted_line(x: np.ndarray, y: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The least-squares straight line through the points (x, y), evaluated at `at`."""
    x_mean, y_mean = x.mean(), y.mean()
    slope = float(((x - x_mean) * (y - y_mean)).sum() / max(((x - x_mean) ** 2).sum(), 1e-9))
    return y_mean + slope * (at - x_mean)


def _run_centres(row: np.ndarray) -> np.ndarray:
    """The middle of each run of Trues in a 1-D bool array."""
    steps = np.diff(np.concatenate([[0], row.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(steps == 1), np.flatnonzero(steps == -1)
    return (starts + ends - 1) // 2


def _off_the_border(ink: np.ndarray) -> np.ndarray:
    """`ink` without the pieces that lie in the picture's outer BORDER_BAND, apart from the writing:
    the page's edge, its shadow and bits of desk that off_the_page and _off_the_edges left, in
    a photo where the writing stays off the picture's edges. The writing is the ink that reaches
    further in, with what lies within BORDER_GAP of it; a piece in the band is kept where it lies
    around the writing (a 5's bar), or close beside it on its line and at least half as tall (the
    1 of a number written up to the border). Read on cells of about 1/LIGHTING_GRID of the long side."""
    height, width = ink.shape
    step = max(1, max(height, width) // LIGHTING_GRID)
    rows, cols = -(-height // step), -(-width // step)
    inked = np.zeros((rows * step, cols * step), np.uint8)
    inked[:height, :width] = ink > 0
    cells = _per_cell(inked, step, np.maximum) > 0
    band = round(BORDER_BAND * max(rows, cols))
    if not (cells[:band].any() or cells[rows - band:].any() or cells[:, :band].any() or cells[:, cols - band:].any()):
        return ink  # nothing in the band (most photos: the digit in the middle of the page)
    gap = max(1, round(BORDER_GAP * max(height, width) / step))
    joined = window_extreme(cells, 2 * gap + 1, np.maximum)
    labels = _cell_labels(joined[:, 1:] & joined[:, :-1], joined[1:] & joined[:-1])
    inner = np.unique(labels[band:rows - band, band:cols - band][joined[band:rows - band, band:cols - band]])
    if not len(inner):
        return ink
    # Each piece's box in cells (pieces are labelled by a cell's flat index).
    top, left, bottom, right = (np.full(rows * cols, fill) for fill in (rows, cols, -1, -1))
    at_rows, at_cols = np.nonzero(cells)
    piece = labels[at_rows, at_cols]
    np.minimum.at(top, piece, at_rows)
    np.minimum.at(left, piece, at_cols)
    np.maximum.at(bottom, piece, at_rows)
    np.maximum.at(right, piece, at_cols)
    first_row, first_col, last_row, last_col = top[inner].min(), left[inner].min(), bottom[inner].max(), right[inner].max()
    if first_row == 0 or first_col == 0 or last_row == rows - 1 or last_col == cols - 1:
        return ink  # the writing runs off the picture: cropped to it, its strokes reach the border
    tall = last_row - first_row + 1
    slack = BORDER_SLACK * tall
    on_line = (top >= first_row - slack) & (bottom <= last_row + slack)
    around = on_line & (left >= first_col - slack) & (right <= last_col + slack)
    near = BORDER_BESIDE * tall
    beside = on_line & (left <= last_col + near) & (right >= first_col - near) & (bottom - top + 1 >= 0.5 * tall)
    kept = around | beside
    kept[inner] = True
    keep = kept[labels] & cells
    if keep.sum() == cells.sum():
        return ink
    pixels = np.repeat(np.repeat(keep, step, axis=0), step, axis=1)[:height, :width]
    return np.where(pixels, ink, 0).astype(np.float32)


def _off_the_frame(ink: np.ndarray) -> np.ndarray:
    """`ink` with only what lies inside a printed box around the writing, when the ink's box is
    framed by one (FRAME_COVER): the box's lines go, and whatever lies outside them."""
    window = ink_box(ink)
    if window is None or min(window[0].stop - window[0].start, window[1].stop - window[1].start) <= 16:
        return ink
    box = ink[window]
    inside, thickest = [], 0
    for side in (box, box.T, box[::-1], box.T[::-1]):  # top, left, bottom, right: views
        band = int(FRAME_BAND * side.shape[0])
        covered, lean = _straight_lines(side[: band + _lean(side.shape[1]) - 1] > 0)
        covered = np.flatnonzero(covered)
        # One thin run of rows that ends inside the band: not a filled shape, not noise.
        if covered.size == 0 or covered[-1] + lean >= band or covered[-1] - covered[0] >= min(covered.size, band // 2):
            return ink
        inside.append(int(covered[-1]) + lean)  # the first row past the line
        thickest = max(thickest, covered.size)
    top, left, bottom, right = inside
    inner = box[top : box.shape[0] - bottom, left : box.shape[1] - right]
    if not inner.any():  # a rectangle with nothing in it: a drawing of its own (a square 0)
        return ink
    inner = inner.copy()
    for first, last in _comb_walls(inner > 0, thickest):
        inner[:, first : last + 1] = 0
    out = np.zeros_like(ink)
    y0, x0 = window[0].start + top, window[1].start + left
    out[y0 : y0 + inner.shape[0], x0 : x0 + inner.shape[1]] = inner
    return out


def _lean(length: int) -> int:
    """How many rows a straight line `length` long may cross when it leans FRAME_TILT."""
    return 1 + int(FRAME_TILT * length)


def _straight_lines(inked: np.ndarray) -> tuple[np.ndarray, int]:
    """Whether a straight line runs across `inked` (rows x columns) from each row on: FRAME_COVER
    of the columns hold ink within the `lean` rows a line that leans a little crosses (the last
    lean - 1 rows start none); and lean."""
    lean = _lean(inked.shape[1])
    rows = inked.shape[0] - lean + 1
    return np.logical_or.reduce([inked[i : rows + i] for i in range(lean)]).mean(axis=1) >= FRAME_COVER, lean


def _comb_walls(inked: np.ndarray, thickest: int) -> list[tuple[int, int]]:
    """The first and last column of each wall inside a row of boxes (a form's comb; `inked`: the
    ink inside the outer box, whose lines are `thickest` rows thick at most). A wall runs from
    line to line, at most twice as thick as the lines (two boxes' sides), with paper right beside
    it (not a strip of a thick stem) and writing on both sides, FRAME_WALL_APART of the height
    away (not a thin 1 written from line to line)."""
    columns = inked.T
    spans, lean = _straight_lines(columns)
    edges = np.flatnonzero(np.diff(np.r_[False, spans, False].astype(np.int8)))
    cover, apart = columns.mean(axis=1), int(FRAME_WALL_APART * inked.shape[0])
    walls = []
    for start, stop in zip(edges[::2], edges[1::2]):
        first, last = start, stop + lean - 2  # every window from start to stop - 1 holds some of the wall
        paper_beside = first > 0 and last + 1 < len(cover) and max(cover[first - 1], cover[last + 1]) < 0.5
        writing_beside = cover[: max(0, first - apart)].any() and cover[last + 1 + apart :].any()
        if stop - start <= 2 * thickest + lean - 1 and paper_beside and writing_beside:
            walls.append((int(first), int(last)))
    return walls


def _edge_band(shape: tuple[int, ...]) -> int:
    return math.ceil(EDGE_BAND * max(shape))


def _near_strokes(ink: np.ndarray) -> np.ndarray:
    """`ink` without what lies further than NEAR_STROKES px from strong ink (half the strongest)."""
    near = window_extreme(ink >= 0.5, 2 * NEAR_STROKES + 1, np.maximum)
    return np.where(near, ink, 0).astype(np.float32)


def paper_lighting(luminance: np.ndarray, dark_ink: bool) -> np.ndarray | None:
    """The paper's luminance at every pixel, fitted as a quadratic surface (light falling off, a
    soft shadow); None when that surface varies by less than UNEVEN_PAPER (evenly lit paper)."""
    cells = _Cells(luminance, dark_ink)
    if not cells.enough:
        return None
    surface = cells.surface(cells.fit_paper()[0])
    return surface if float(np.ptp(surface)) >= UNEVEN_PAPER else None


def off_the_page(luminance: np.ndarray) -> np.ndarray:
    """A photo of a page lying on a desk, with the desk made paper: the desk around the page is set
    to the paper's fitted brightness there. Otherwise, ink would be read against the desk, and the
    whole page would be taken for ink.

    The page is the largest region of cells whose brightness never steps by PAGE_EDGE or more
    from a cell to the next (light falls off far more gently; the page's edge and ink step
    sharply), with every cell within PAPER_DEVIATION of the paper surface fitted on it. Being flat
    and convex, the page meets every row and column of the picture in one stretch. Cells outside
    the page and outside both their row's and their column's stretch are the desk; ink is inside
    the page's stretches, even where it runs off the picture. The desk is widened by a cell to
    cover the page's edge and the cells it shares."""
    cells = _Cells(luminance, dark_ink=True)
    if not cells.enough:
        return luminance
    region = _largest_smooth_region(cells.values)
    if region.mean() < MIN_PAGE:  # no page: noise, or a texture
        return luminance
    if not (~region & ~_stretches(region) & ~_stretches(region.T).T).any():
        return luminance  # nothing lies outside the region's stretches, nor then outside the page's
    coefficients, _ = cells.fit_paper(within=region)
    # The paper is what lies near that surface, with the pieces of page that a large digit's
    # strokes cut off from the region; the region's own cells stay paper, however deep a shadow.
    page = region | (cells.values - cells.at_cells(coefficients) > -PAPER_DEVIATION)
    desk = ~page & ~_stretches(page) & ~_stretches(page.T).T
    # A page fills most of its stretches (ink is thin); chalk on a board or a texture does not.
    if not desk.any() or page.sum() < PAGE_FILL * (~desk).sum():
        return luminance
    desk = window_extreme(desk, 3, np.maximum)
    height, width = luminance.shape
    pixels = np.repeat(np.repeat(desk, cells.step, axis=0), cells.step, axis=1)
    pixels = np.pad(pixels, ((0, height - pixels.shape[0]), (0, width - pixels.shape[1])), mode="edge")
    return np.where(pixels, cells.surface(coefficients), luminance).astype(np.float32)


def _largest_smooth_region(values: np.ndarray) -> np.ndarray:
    """The largest 4-connected region of cells linked by steps under PAGE_EDGE (rows, cols) bool."""
    labels = _cell_labels(np.abs(np.diff(values, axis=1)) < PAGE_EDGE, np.abs(np.diff(values, axis=0)) < PAGE_EDGE)
    return labels == np.bincount(labels.reshape(-1)).argmax()


def _cell_labels(across: np.ndarray, down: np.ndarray) -> np.ndarray:
    """Labels of the 4-connected regions of a grid of cells, where `across` (rows, cols - 1) links
    each cell to its right neighbour and `down` (rows - 1, cols) to the one below: each region is
    labelled by the smallest flat index among its cells."""
    rows, cols = down.shape[0] + 1, across.shape[1] + 1
    labels = np.arange(rows * cols).reshape(rows, cols)
    while True:  # every cell takes the smallest label it is linked to, then its label's label
        spread = labels.copy()
        pair = np.minimum(labels[:, :-1], labels[:, 1:])
        spread[:, :-1] = np.where(across, np.minimum(spread[:, :-1], pair), spread[:, :-1])
        spread[:, 1:] = np.where(across, np.minimum(spread[:, 1:], pair), spread[:, 1:])
        pair = np.minimum(spread[:-1], spread[1:])
        spread[:-1] = np.where(down, np.minimum(spread[:-1], pair), spread[:-1])
        spread[1:] = np.where(down, np.minimum(spread[1:], pair), spread[1:])
        spread = spread.reshape(-1)[spread.reshape(-1)].reshape(rows, cols)
        if np.array_equal(spread, labels):
            return labels
        labels = spread


def _stretches(inside: np.ndarray) -> np.ndarray:
    """Per row, everything from its first True to its last (nothing in a row without any)."""
    columns = np.arange(inside.shape[1])
    has = inside.any(axis=1)
    first = np.where(has, inside.argmax(axis=1), inside.shape[1])
    last = inside.shape[1] - 1 - inside[:, ::-1].argmax(axis=1)
    return (columns >= first[:, None]) & (columns <= last[:, None])


def _per_cell(values: np.ndarray, step: int, extreme: np.ufunc) -> np.ndarray:
    """`extreme` (np.maximum or np.minimum) of each step x step cell of `values`, whose sides are
    multiples of `step`. Over strided views: numpy reduces a (rows, step, cols, step) array's small
    axes 4x slower."""
    across = extreme.reduce([values[:, d::step] for d in range(step)])
    return extreme.reduce([across[d::step] for d in range(step)])


class _Cells:
    """An image seen in cells of about 1/LIGHTING_GRID of its side, each as its lightest pixel (its
    darkest for light ink on a board): the paper wherever a cell holds any."""

    def __init__(self, luminance: np.ndarray, dark_ink: bool) -> None:
        self.shape = height, width = luminance.shape
        self.dark_ink = dark_ink
        self.step = step = max(1, max(height, width) // LIGHTING_GRID)
        rows, cols = height // step, width // step
        self.enough = rows >= 3 and cols >= 3  # fewer cells cannot fit a surface of six terms
        if not self.enough:
            return
        extreme = np.maximum if dark_ink else np.minimum
        self.values = _per_cell(luminance[: rows * step, : cols * step], step, extreme).astype(np.float64)
        y, x = np.meshgrid((np.arange(rows) + 0.5) * step / height * 2 - 1, (np.arange(cols) + 0.5) * step / width * 2 - 1, indexing="ij")
        self.terms = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1).reshape(-1, 6)

    def fit_paper(self, rounds: int = 5, within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The quadratic surface's coefficients, and which cells are paper (rows, cols).

        It starts from the paper side's half of the cells (`within` these, if given: a digit
        covers less than half of its picture) and refits, each round leaving out what lies over 3
        robust deviations (at most PAPER_DEVIATION) on the ink's side of the fit."""
        values = self.values.reshape(-1)
        within = np.ones(values.shape, bool) if within is None else within.reshape(-1)
        towards_ink = -1.0 if self.dark_ink else 1.0
        paper = within & (values * towards_ink <= np.median(values[within] * towards_ink))
        for _ in range(rounds):
            used = self.terms[paper]
            coefficients = np.linalg.solve(used.T @ used + 1e-9 * np.eye(6), used.T @ values[paper])
            residual = (values - self.terms @ coefficients) * towards_ink  # positive: towards the ink
            spread = 1.4826 * np.median(np.abs(residual[paper] - np.median(residual[paper])))
            paper = within & (residual < min(max(3 * spread, 0.02), PAPER_DEVIATION))
        return coefficients, paper.reshape(self.values.shape)

    def at_cells(self, coefficients: np.ndarray) -> np.ndarray:
        """The surface at the cells' centres (rows, cols)."""
        return (self.terms @ coefficients).reshape(self.values.shape)

    def surface(self, coefficients: np.ndarray) -> np.ndarray:
        """The surface at every pixel of the image."""
        height, width = self.shape
        c0, cx, cy, cxx, cxy, cyy = coefficients.astype(np.float32)
        yf = ((np.arange(height, dtype=np.float32) + 0.5) / height * 2 - 1)[:, None]
        xf = ((np.arange(width, dtype=np.float32) + 0.5) / width * 2 - 1)[None, :]
        return (c0 + cx * xf + cxx * xf * xf) + yf * (cy + cxy * xf) + cyy * yf * yf


def window_extreme(values: np.ndarray, size: int, extreme: np.ufunc) -> np.ndarray:
    """The largest (extreme=np.maximum) or smallest (np.minimum) value in the size x size window
    around each pixel, the edges repeated outwards: exactly PIL's MaxFilter / MinFilter, in two
    one-dimensional passes. PIL sorts the size² values of every window: 2.7 ms for a 7 x 7
    window on a 100 px digit here, against 0.09 ms, and a thin pen on a large drawing needs one."""
    height, width = values.shape
    padded = np.pad(values, size // 2, mode="edge")
    rows = extreme.reduce([padded[:, d : d + width] for d in range(size)])
    return extreme.reduce([rows[d : d + height] for d in range(size)])
