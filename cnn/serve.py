"""Serving: the model behind the app, loaded once, reading batches of images.

Gradio-free, so the app's logic can be tested and benchmarked without a server.
"""

from __future__ import annotations

import copy
import logging
import math
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .hub import load_model
from .model import DigitCNN, ModelLoadError
from .preprocess import Prepared, prepare, prepare_ink
from .segment import Digit, split_ways

log = logging.getLogger(__name__)

# Thresholds on the calibrated top-1 probability, chosen on the validation split with
# benchmarks/bench_confidence.py (README, "Confidence"); the benchmarks only report them.
# Below LOW_CONFIDENCE the page says it is not sure.
LOW_CONFIDENCE = 0.95
# Below NOT_A_DIGIT_BELOW the answer is nearly uniform over the ten digits, which is what
# outlier exposure trains the model to give for strokes that are no digit: the app says "not a digit".
NOT_A_DIGIT_BELOW = 0.2
TOP_K = 3
# A piece that may be two touching digits is read as two when the cut's digits are this many
# times less likely wrong (1 - the product of their probabilities) than the whole read as one
# digit. Chosen on drawings of validation digits (`python benchmarks/bench_numbers.py
# --choose-cut-evidence`): 1 of 1,220 single digits cut, 97 of 300 touching pairs cut right and
# 13 wrong; at 5: 1, 113 and 22; at 1: 4, 124, 25; at 100: 1, 69 and 4. (It was chosen when the
# pairs' style digits were set (b)'s test templates, as the same trade: 1, 113 and 13 at 20; 1,
# 127 and 21 at 5. Before pieces were also cut along seams, cnn.segment: 1, 87 and 7 at 20.)
# Since a cut's sides must be half the line's height (cnn.segment.CUT_SIDE_SHORT), the same
# command prints 0, 94 and 10 at 20; 0, 112 and 19 at 5; 1, 122 and 22 at 1; 0, 67 and 4 at 100:
# the same trade.
CUT_EVIDENCE = 20
# A piece at least WIDE_PIECE times as wide (along the slant) as the line is tall is wider than
# most single digits (their 50th and 99th percentiles: 0.70 and 1.41, cnn.segment.TOUCHING_WIDTH):
# there the likelier reading wins (WIDE_CUT_EVIDENCE). Chosen on drawings of validation digits
# (`python benchmarks/bench_numbers.py --choose-wide-evidence`): of 6,500 single digits, 3 cut
# instead of 2; of 900 pairs whose ink overlaps by 0-15% of the height, 319 cut right instead of
# 282 and 62 into other digits than the pair's instead of 38 (a second draw: 302 and 72 instead
# of 271 and 50; a pair read as one digit is wrong too); of 1,520 digits drawn 1.3-2x as wide,
# 14 cut instead of 4. Less evidence (0.3) cut 4 single digits; from 1.2 on, fewer pairs are cut
# right (311) for as many single digits. (Chosen when the pairs' style digits were set (b)'s test
# templates, before wide digits were drawn: 348 right instead of 300, the same choice.) Since a
# cut's sides must be half the line's height, the same command: 1 single digit cut (of 6,500),
# 319 and 304 pairs right, 51 and 65 wrong, 4 wide digits cut; at 5: 1, 302 and 288, 44 and 53, 3.
WIDE_PIECE = 1.1
WIDE_CUT_EVIDENCE = 1
# A piece too wide to be one digit (cnn.segment.TOUCHING_WIDTH) that no cut parts into sure
# digits is still one digit when the model is this sure of it whole: a digit drawn wide, to fill
# a square canvas. Chosen on drawings of validation digits (`python benchmarks/bench_numbers.py
# --choose-wide-whole`): of 1,520 single digits drawn 1.3-2x as wide, 42 were too wide for one
# digit with no such cut, all said to be digits that touch; 25 of them now read right (none
# wrong), and no piece of 600 numbers whose digits all touch reads as one digit. At 0.99: 28
# right, and 3 touching pieces read as one digit. (Since a cut's sides must be half the line's
# height: 43 such wide digits, 26 right, none wrong; at 0.99, 29 right and 3 touching pieces.)
WIDE_WHOLE_SURE = 0.995
# A whole kept over a cut of sure digits (Choice.rival) is not shown as sure when the cut has at
# least this much evidence (its digits as likely right as the whole: the whole won only because
# a cut needs CUT_EVIDENCE). Chosen on validation drawings (`python benchmarks/bench_numbers.py
# --cut-sure`): at 1, 2 right readings of 3,340 numbers with gaps, single digits and digits
# drawn wide are no longer sure, and 39 wrong ones (31 touching pairs read as one digit, 7
# letters and shapes, 1 number); at 0.3, 20 and 60; at 3, none and 27.
RIVAL_EVIDENCE = 1.0
# Larger images are refused from their header, before decoding: a 12000x12000 RGBA image
# would take 576 MB, and a decompression bomb far more. 25 MP covers any phone photo.
MAX_PIXELS = 25_000_000
MAX_FILE_BYTES = 20 * 2**20  # 20 MiB; app.py gives it to Gradio (max_file_size), which refuses larger uploads itself


class BadImage(ValueError):
    """The file is not an image this app can read; the message is meant for the user."""


@dataclass(frozen=True)
class Reading:
    """What the model read in one image."""

    top: dict[str, float]  # the TOP_K most likely digits -> probability, most likely first
    pixels: np.ndarray  # the (28, 28) image the model saw
    handwriting: bool = True  # False: noise or a filled shape (cnn.preprocess), whatever the model says

    @property
    def digit(self) -> str:
        return next(iter(self.top))

    @property
    def is_digit(self) -> bool:
        """Pen strokes that the model reads as some digit rather than as none in particular."""
        return self.handwriting and self.top[self.digit] >= NOT_A_DIGIT_BELOW

    @property
    def confident(self) -> bool:
        return self.top[self.digit] >= LOW_CONFIDENCE


@dataclass(frozen=True)
class NumberReading:
    """What the model read in a drawing of a number: its digits, left to right."""

    digits: list[Reading]
    boxes: list[tuple[int, int, int, int]]  # each digit's x0, y0, x1, y1 in the image's pixels
    separated: list[bool]  # False where digits touch and no clean cut was found
    cut: list[bool]  # True where a digit was cut out of ink it shares with its neighbour (Choice.cut)
    rivals: list[Rival | None]  # the cut each digit was kept whole over (Choice.rival)

    @property
    def maybe_touching(self) -> list[str | None]:
        """Per digit, the digits its ink reads as when cut, about as likely as the digit
        (RIVAL_EVIDENCE): it may be digits that touch. None where there is no such cut."""
        return [rival.digits if rival and rival.evidence >= RIVAL_EVIDENCE else None for rival in self.rivals]

    @property
    def sure(self) -> bool:
        """Whether this is a number to show as sure: every digit at least LOW_CONFIDENCE, none
        of them cut out of touching ink or maybe digits that touch."""
        return (self.number is not None and not any(self.cut) and not any(self.maybe_touching)
                and all(reading.confident for reading in self.digits))

    @property
    def number(self) -> str | None:
        """The digits read, or None when some piece is not a digit or could not be separated."""
        if self.problem:
            return None
        return "".join(reading.digit for reading in self.digits)

    def likeliest(self, count: int = TOP_K) -> dict[str, float]:
        """The `count` likeliest numbers -> probability, best first: each digit's top 3 combined,
        the digits taken as independent (a beam that keeps the `count` best prefixes)."""
        beam = {"": 1.0}
        for reading in self.digits:
            grown = {prefix + digit: p * q for prefix, p in beam.items() for digit, q in reading.top.items()}
            beam = dict(sorted(grown.items(), key=lambda item: -item[1])[:count])
        return beam

    @property
    def problem(self) -> str | None:
        """Why there is no number, in words for people; None when there is one."""
        count = len(self.digits)
        for index, (reading, separated) in enumerate(zip(self.digits, self.separated)):
            where = "The drawing" if count == 1 else f"Digit {index + 1} of {count}"
            if not separated:
                return f"{where} looks like digits that touch and could not be separated: leave a gap between digits."
            if not reading.is_digit:
                return f"{where} is not a digit, as far as the model can tell."
        return None


class Choice(NamedTuple):
    """One digit of a number as read_numbers settles it."""

    reading: Reading
    box: tuple[int, int, int, int]
    separated: bool  # False: ink too wide for one digit that no cut parts into sure digits
    # Cut out of ink it shares with its neighbour: each side may read as a sure digit, yet the cut
    # is a guess. Of validation drawings read with every digit sure, 153 of the 535 read with such
    # a cut were wrong (touching pairs 51 of 371, numbers whose digits all touch 61 of 122, letters
    # and shapes 37 of 37, digits drawn wide 4 of 4), against 40 of 2,914 of the numbers with gaps,
    # single digits and digits drawn wide read without one (`python benchmarks/bench_numbers.py
    # --cut-sure`). So they are never shown as sure.
    cut: bool
    rival: Rival | None = None  # kept whole over a cut whose sides read as sure digits: that cut


class Rival(NamedTuple):
    """A cut of a piece into sure digits that lost to the piece read whole as one digit."""

    digits: str  # what the cut's sides read, left to right
    # How many times likelier the whole is wrong than the cut: at most what a cut needs (CUT_EVIDENCE,
    # or WIDE_CUT_EVIDENCE for a wide piece), else the piece is cut.
    evidence: float


@dataclass(frozen=True)
class ServedModel:
    model: DigitCNN
    description: str  # which weights, for people: "user/repo@rev" or "weights shipped with the app"
    card_url: str | None  # the model card, when the weights come from the Hub
    repo: str | None = None  # the Hub repo the weights came from (None: the shipped weights)
    revision: str | None = None  # as asked for (MODEL_REVISION); None: main


def load_served_model(repo: str | None = None, revision: str | None = None, timeout: float | None = None) -> ServedModel:
    """MODEL_REPO@MODEL_REVISION from the Hub, or the shipped weights (with a warning) when that fails.

    The Hub gets `timeout` seconds (MODEL_LOAD_TIMEOUT, default 60): a Hub that hangs must not
    keep the Space from starting.
    """
    repo = repo if repo is not None else os.environ.get("MODEL_REPO") or None
    revision = revision if revision is not None else os.environ.get("MODEL_REVISION") or None
    timeout = timeout if timeout is not None else float(os.environ.get("MODEL_LOAD_TIMEOUT", "60"))
    if repo:
        try:
            model = _within(timeout, lambda: load_model(repo, revision=revision))
            endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
            card = f"{endpoint}/{repo}" + (f"/tree/{revision}" if revision else "")
            return ServedModel(model, f"{repo}@{revision or 'main'}", card, repo, revision)
        except (ModelLoadError, TimeoutError) as err:
            log.warning("MODEL_REPO=%s could not be loaded (%s); serving the weights shipped with the app", repo, err)
    return ServedModel(load_model(), "weights shipped with the app", None)


def _within(seconds: float, work):
    """work() run in a daemon thread; TimeoutError if it takes longer (the thread is abandoned)."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as err:  # handed to the caller below
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True, name="load-model")
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise TimeoutError(f"no answer from the Hub within {seconds:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def open_image(path: str | os.PathLike) -> Image.Image:
    """Open an uploaded file as an image, refusing what is not one or is too large, from its header."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise BadImage("The file is empty.")
    if size > MAX_FILE_BYTES:
        raise BadImage(f"The file is {size / 2**20:.1f} MiB; the limit is {MAX_FILE_BYTES / 2**20:.0f} MiB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except UnidentifiedImageError:
        if _is_heif(path):
            raise BadImage("This is a HEIC photo, which this app cannot read: save it as JPEG or PNG and upload that.") from None
        raise BadImage("This file is not an image (PNG, JPEG, WebP, GIF, BMP or TIFF).") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):  # PIL's own, larger limit
        raise BadImage(f"The image is too large: the limit is {MAX_PIXELS // 1_000_000} megapixels.") from None
    except OSError as err:
        raise BadImage(f"The image cannot be read: {err}") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise BadImage(f"The image is {width}x{height} pixels; the limit is {MAX_PIXELS // 1_000_000} megapixels.")
    try:
        image.load()  # decode now: a truncated file fails here, not later
    except (OSError, SyntaxError, ValueError) as err:
        raise BadImage(f"The image is damaged or truncated ({err}).") from None
    return _upright(image)


# The ISO media brands of HEIF images: an iPhone's photos are HEIC unless set to "Most Compatible".
HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")


def _is_heif(path: Path) -> bool:
    with open(path, "rb") as file:
        head = file.read(12)
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def _upright(image: Image.Image) -> Image.Image:
    """The image as people see it. A phone stores a photo as its sensor saw it, with an EXIF tag
    saying how to turn it, which browsers follow: read as stored, a digit photographed with the
    phone upright lies on its side. Gradio hands the file over as sent (app.py: image_mode=None)."""
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # noqa: BLE001 - a malformed EXIF block of any kind: the pixels as stored are the best guess
        log.warning("could not apply the image's EXIF orientation; reading it as stored")
    return image


def fold_batchnorm(model: DigitCNN) -> DigitCNN:
    """An eval-mode copy with each BatchNorm folded into the conv before it: same outputs (to
    ~1e-5), ~12% faster here. For serving only: the copy cannot be trained or saved as a DigitCNN."""
    folded = copy.deepcopy(model).eval()
    layers = list(folded.features)
    for index, layer in enumerate(layers):
        if isinstance(layer, nn.BatchNorm2d):
            layers[index - 1] = fuse_conv_bn_eval(layers[index - 1], layer)
            layers[index] = nn.Identity()
    folded.features = nn.Sequential(*(layer for layer in layers if not isinstance(layer, nn.Identity)))
    return folded


class Recognizer:
    """Reads digits in batches: preprocessing each image, one forward pass for all."""

    def __init__(self, model: DigitCNN) -> None:
        # channels_last: oneDNN's faster convolutions, 1.3x (single image) to 1.8x (batches) here.
        self.model = fold_batchnorm(model).to(memory_format=torch.channels_last)

    def read(self, images: list[Image.Image | np.ndarray | None]) -> list[Reading | None]:
        """A Reading per image, None for blank ones (no ink: never a guess)."""
        return self._read_prepared([Prepared(None, False) if image is None else prepare(image) for image in images])

    def _read_prepared(self, prepared: list[Prepared]) -> list[Reading | None]:
        """One forward pass for all the inked ones."""
        inked = [p for p in prepared if p.pixels is not None]
        if not inked:
            return [None] * len(prepared)
        probabilities = self.model.predict_proba(torch.from_numpy(np.stack([p.pixels for p in inked])))
        values, classes = probabilities.topk(TOP_K, dim=1)
        readings = iter(
            Reading({str(c): float(v) for c, v in zip(cls.tolist(), val.tolist())}, p.pixels, p.handwriting)
            for cls, val, p in zip(classes, values, inked)
        )
        return [None if p.pixels is None else next(readings) for p in prepared]

    def read_numbers(self, images: list[Image.Image | np.ndarray | None]) -> list[NumberReading | None]:
        """A NumberReading per image (cnn.segment finds its digits), None for blank ones. A
        drawing of one digit reads as read() reads it: the same pixels and top 3 (the
        probabilities equal up to float rounding: the sides of its cuts share the forward pass)."""
        ways = [[[]] if image is None else split_ways(image) for image in images]
        read = self.read_parts([digit for options in ways for digits in options for digit in digits])
        out = []
        for options in ways:
            # A tilted line is read as drawn and turned level; the surer reading is kept.
            readings = ([choice for digit in digits for choice in _resolve(digit, read)] for digits in options)
            chosen = max(readings, key=_surety)
            out.append(NumberReading(*map(list, zip(*chosen))) if chosen else None)
        return out


    def read_parts(self, digits: list[Digit]) -> dict[int, Reading | None]:
        """The Reading of every digit and of both sides of every cut in it (at any depth), in
        one forward pass, by id() of the Digit."""
        parts = [part for digit in digits for part in _all_parts(digit)]
        return dict(zip(map(id, parts), self._read_prepared([prepare_ink(part.ink) for part in parts])))


def _surety(chosen: list[Choice]) -> float:
    """How sure a reading of a number is, whatever its count of digits: the geometric mean of its
    digits' top probabilities (0 for none)."""
    if not chosen:
        return 0.0
    return math.exp(sum(math.log(max(reading.top[reading.digit], 1e-12)) for reading, *_ in chosen) / len(chosen))


def _all_parts(digit: Digit) -> list[Digit]:
    """The digit and every side of every cut in it, at any depth."""
    return [digit, *(part for pair in digit.cuts for side in pair for part in _all_parts(side))]


def _resolve(digit: Digit, read: dict[int, Reading | None]) -> list[Choice]:
    """A Choice for each digit in this piece: the digits of its best cut when
    each is a sure digit and, together, CUT_EVIDENCE times less likely wrong than the whole as
    one digit (WIDE_CUT_EVIDENCE times for a piece WIDE_PIECE wide; or the whole is too wide to
    be one, or no digit). A touching "00" reads as 0 at 0.96, its halves as 0 and 0 at 0.99999.
    Else the whole, not separated when it is too wide to be one digit and not WIDE_WHOLE_SURE, with
    the best cut it was kept over (its rival)."""
    whole = read[id(digit)]
    if whole is None:  # ink too faint to survive at 28x28: nothing to read
        return []
    best, best_score = best_cut(digit, read)
    doubt_whole, doubt_cut = 1 - whole.top[whole.digit], 1 - best_score
    evidence = WIDE_CUT_EVIDENCE if digit.width >= WIDE_PIECE else CUT_EVIDENCE
    if best and (digit.too_wide or doubt_whole > evidence * doubt_cut or not whole.is_digit):
        return [choice._replace(cut=True) for choice in best]
    one = not digit.too_wide or (whole.is_digit and whole.top[whole.digit] >= WIDE_WHOLE_SURE)
    # The doubts are smoothed so that two readings at exactly 1.0 tie (evidence 1) rather than divide by zero.
    rival = Rival("".join(choice.reading.digit for choice in best), (doubt_whole + 1e-9) / (doubt_cut + 1e-9)) if best else None
    return [Choice(whole, digit.box, one, cut=False, rival=rival)]


def best_cut(digit: Digit, read: dict[int, Reading | None]) -> tuple[list[Choice] | None, float]:
    """The cut of this piece whose sides read as sure digits with the highest product of their
    probabilities: its Choice per digit, and that product; (None, 0) if none."""
    best, best_score = None, 0.0
    for pair in digit.cuts:
        parts = [choice for side in pair for choice in _resolve(side, read)]
        if len(parts) >= 2 and all(p.reading.is_digit and p.reading.confident and p.separated for p in parts):
            score = math.prod(p.reading.top[p.reading.digit] for p in parts)
            if score > best_score:
                best, best_score = parts, score
    return best, best_score
