"""Splitting a drawing of a number into digits (cnn.segment) and reading them (Recognizer.read_numbers)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from benchmarks.drawings import number_set
from cnn.hub import load_model
from cnn.segment import split_digits, split_ways
from cnn.serve import CUT_EVIDENCE, RIVAL_EVIDENCE, WIDE_PIECE, Recognizer
from make_examples import draw_digit, draw_number  # examples/ is on pytest's pythonpath
from strokes import DIGIT_STROKES

# Digits drawn in more than one stroke whose strokes do not touch: each is one digit.
FIVE_WITH_DETACHED_BAR = [
    [(0.3, 0.0), (0.85, 0.0)],
    [(0.26, 0.16), (0.22, 0.45), (0.55, 0.38), (0.82, 0.55), (0.8, 0.82), (0.5, 0.97), (0.15, 0.88)],
]
FOUR_IN_TWO_STROKES = [[(0.2, 0.0), (0.1, 0.62), (0.55, 0.62)], [(0.72, 0.05), (0.72, 1.0)]]  # an open join
SEVEN_IN_TWO_STROKES = [[(0.1, 0.04), (0.9, 0.04)], [(0.86, 0.2), (0.42, 0.97)]]


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    return Recognizer(load_model())


def read(recognizer: Recognizer, image: Image.Image):
    (number,) = recognizer.read_numbers([image])
    return number


def ink_pieces(image: Image.Image) -> int:
    """8-connected pieces of ink, counted the slow, obvious way (a flood fill)."""
    ink = np.asarray(image.convert("L")) < 128
    seen = np.zeros_like(ink)
    pieces = 0
    for start in zip(*np.nonzero(ink)):
        if seen[start]:
            continue
        pieces += 1
        stack = [start]
        seen[start] = True
        while stack:
            y, x = stack.pop()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < ink.shape[0] and 0 <= nx < ink.shape[1] and ink[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
    return pieces


@pytest.mark.parametrize(
    "strokes, digit",
    [(FIVE_WITH_DETACHED_BAR, "5"), (FOUR_IN_TWO_STROKES, "4"), (SEVEN_IN_TWO_STROKES, "7")],
    ids=["5 with a detached bar", "two-stroke 4", "two-stroke 7"],
)
def test_strokes_of_one_digit_stay_one_digit(recognizer, strokes, digit):
    alone = draw_number([strokes], size=(320, 320), pen=12)
    assert ink_pieces(alone) == 2  # the premise: two separate strokes
    assert len(split_digits(alone)) == 1
    assert read(recognizer, alone).number == digit
    among = draw_number(["3", strokes, "8"], size=(720, 320), gap=0.25, pen=12)
    assert read(recognizer, among).number == f"3{digit}8"


def test_a_small_gap_still_separates_two_digits(recognizer):
    image = draw_number("10", gap=0.1, pen=14)  # a gap of 10% of the height
    assert [d.box[0] for d in split_digits(image)] == sorted(d.box[0] for d in split_digits(image))
    number = read(recognizer, image)
    assert number.number == "10" and number.cut == [False, False] and number.sure


def test_slanted_digits_whose_boxes_overlap_stay_apart(recognizer):
    image = draw_number("2020", size=(800, 320), gap=0.1, slant=0.5)
    digits = split_digits(image)
    boxes = [d.box for d in digits]
    assert all(a[2] > b[0] for a, b in zip(boxes, boxes[1:]))  # the premise: each box runs into the next
    assert read(recognizer, image).number == "2020"


def test_digits_read_left_to_right_whatever_their_baseline(recognizer):
    for lift in ([0.0, 0.08, -0.08, 0.04], [0.08, -0.08, 0.08, -0.08]):
        number = read(recognizer, draw_number("3590", size=(720, 360), lift=lift))
        assert number.number == "3590"
        assert [box[0] for box in number.boxes] == sorted(box[0] for box in number.boxes)


def test_the_boxes_are_in_the_images_pixels_whatever_its_size(recognizer):
    small = draw_number("42", size=(400, 300), height=150)
    ink = np.asarray(draw_number("4", size=(400, 300), height=150).convert("L")) < 250
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    four = (cols[0], rows[0], cols[-1] + 1, rows[-1] + 1)  # where draw_number puts the 4
    big = small.resize((2400, 1800), Image.Resampling.NEAREST)  # reduced to 1024 px for the work
    for image, scale in ((small, 1), (big, 6)):
        number = read(recognizer, image)
        assert number.number == "42"
        assert number.boxes[0] == pytest.approx([v * scale for v in four], abs=2 * scale)


def test_one_digit_reads_exactly_as_before(recognizer):
    """A drawing of one digit: read_numbers gives read()'s answer, probabilities and pixels alike."""
    images = [draw_digit(d, pen=p) for d in range(10) for p in (6, 30)]
    images += [Image.open(path) for path in ("examples/seven_pencil.png", "examples/four_chalkboard.png")]
    for image in images:
        (alone,) = recognizer.read([image])  # one at a time, as read_numbers reads it (batches round differently)
        number = read(recognizer, image)
        assert len(number.digits) == 1
        assert number.digits[0].top == alone.top and np.array_equal(number.digits[0].pixels, alone.pixels)


def test_touching_digits_are_cut_where_the_ink_is_thinnest(recognizer):
    for text, gap in (("00", -0.05), ("23", -0.08), ("38", -0.08), ("2026", -0.08)):
        image = draw_number(text, gap=gap, size=(720, 320))
        assert ink_pieces(image) < len(text), text  # the premise: they touch
        number = read(recognizer, image)
        assert number.number == text
        assert any(number.cut) and not number.sure  # a cut is a guess: never shown as sure


def test_touching_digits_read_whole_but_as_well_cut_are_not_sure(recognizer):
    """Two 2s that touch read whole as a sure 2, and cut as 2 and 2 about as likely (the cut lacks
    CUT_EVIDENCE, not evidence): maybe digits that touch, so never "sure". A clear digit whose cuts
    read far worse is sure."""
    image = draw_number("22", gap=-0.08, size=(720, 320))
    assert ink_pieces(image) == 1  # the premise: they touch
    number = read(recognizer, image)
    assert number.number == "2" and number.digits[0].confident and number.cut == [False]
    assert number.rivals[0].digits == "22" and RIVAL_EVIDENCE <= number.rivals[0].evidence < CUT_EVIDENCE
    assert number.maybe_touching == ["22"] and not number.sure
    for digit in "08":
        number = read(recognizer, draw_digit(int(digit), pen=12))
        assert number.number == digit and number.maybe_touching == [None] and number.sure


@pytest.mark.parametrize("text, gap", [("34", -0.15), ("47", -0.2), ("72", -0.15), ("65", -0.2)])
def test_overlapping_digits_are_cut_along_a_path_around_one_of_them(recognizer, text, gap):
    image = draw_number(text, gap=gap, size=(720, 320))
    columns = [np.flatnonzero((np.asarray(draw_number(strokes, gap=gap, size=(720, 320)).convert("L")) < 128).any(axis=0))
               for strokes in ([text[0], []], [[], text[1]])]
    # The premise: one piece of ink, and no straight upright cut parts the two digits.
    assert ink_pieces(image) == 1 and columns[0].max() > columns[1].min()
    assert read(recognizer, image).number == text


@pytest.mark.parametrize("seed, index, text", [(6, 1, "70"), (8, 5, "29")])
def test_wide_ink_read_as_one_sure_digit_is_cut_when_two_are_likelier(recognizer, mnist_test, seed, index, text):
    """Two MNIST test digits whose ink overlaps (the benchmark's touching pairs): the whole reads as
    one sure digit, but it is far wider than most single digits, and its cut reads as two digits
    that are likelier still."""
    images, labels = mnist_test
    pair = number_set(images, labels, index + 1, lengths=(2,), gap_range=(-0.1, 0.0), seed=seed)[index]
    (piece,) = split_digits(pair.image)
    (whole,) = recognizer.read([pair.image])
    assert pair.text == text and piece.width >= WIDE_PIECE and whole.confident  # the premise
    assert read(recognizer, pair.image).number == text


@pytest.mark.parametrize("text", ["2024", "1111"])
def test_a_number_written_in_a_forms_boxes_reads_without_them(recognizer, text):
    """One box around the number, or one box per digit (a comb): the boxes' lines are no digits.
    Both failed before cnn.ink._off_the_frame (the walls were read as 1s, the box with the digits)."""
    one = draw_number(text, size=(900, 320), gap=0.3).convert("RGB")
    ImageDraw.Draw(one).rectangle((15, 50, 860, 280), outline=(0, 0, 0), width=3)
    comb = draw_number(text, size=(900, 320), gap=0.3).convert("RGB")
    for k in range(len(text)):
        ImageDraw.Draw(comb).rectangle((25 + k * 162, 50, 25 + (k + 1) * 162, 280), outline=(60, 60, 60), width=3)
    for image in (one, comb):
        assert read(recognizer, image).number == text


def test_a_number_turned_with_its_line_reads_as_if_level(recognizer):
    """Turned whole (as a phone held askew photographs it), its digits turn with the line; they
    are also read turned back, and each box is where that digit lies in the image as sent."""
    text, size = "7154", (760, 320)
    upright = draw_number(text, size=size, gap=0.25)
    assert read(recognizer, upright).number == text
    shapes = [digit.ink.shape for digit in split_digits(upright)]
    for angle in (-25, 15, 30):
        turned = upright.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255, 255))
        # Each digit's ink is cut out of the map turned back: as tall and wide as drawn level, give
        # or take the blur of turning twice (turned as drawn, its 1 is 40-80 px wider).
        as_drawn, turned_back = split_ways(turned)
        for digit, shape in zip(turned_back, shapes, strict=True):
            assert digit.ink.shape == pytest.approx(shape, abs=12), angle
        number = read(recognizer, turned)
        assert number.number == text, angle
        for k, box in enumerate(number.boxes):
            alone = draw_number([d if n == k else [] for n, d in enumerate(text)], size=size, gap=0.25)
            alone = alone.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255, 255))
            rows, cols = np.nonzero(np.asarray(alone.convert("L")) < 128)
            assert box == pytest.approx([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1], abs=4), (angle, k)


def test_upright_digits_on_a_rising_line_read_as_drawn(recognizer):
    """Written uphill on a screen, the digits stay upright: turned level, they would lean back
    (this 6 then reads as 5), so the surer reading, as drawn, is kept."""
    image = draw_number("6172", size=(1000, 900), gap=0.25, slant=0.3, lift=[0, 0.5, 1.0, 1.5])
    assert len(split_ways(image)) == 2  # the premise: the line is tilted
    assert read(recognizer, image).number == "6172"


def test_ink_too_wide_for_a_digit_that_no_cut_reads_is_said_so(recognizer):
    wave = [[(x / 20, 0.5 + 0.45 * np.sin(x / 20 * 9)) for x in range(21)]]  # one stroke, three digits wide
    number = read(recognizer, draw_number([wave], size=(700, 320), height=180))
    image_width = 0.6 * 180
    assert number.boxes[0][2] - number.boxes[0][0] > 0.55 * image_width
    assert number.number is None
    assert "could not be separated" in number.problem or "not a digit" in number.problem


def test_a_digit_drawn_more_than_twice_as_wide_as_tall_reads_as_itself(recognizer):
    """A 0 drawn as a flat oval, filling the canvas's width: too wide to be one digit by its
    shape alone, but no cut parts it into sure digits, and the model is sure of it whole."""
    oval = [[(5.2 * x, y) for x, y in stroke] for stroke in DIGIT_STROKES[0]]
    image = draw_number([oval], size=(760, 320), left=20)
    (piece,) = split_digits(image)
    assert piece.too_wide  # the premise
    number = read(recognizer, image)
    assert number.number == "0" and number.problem is None


def test_a_tick_is_not_cut_into_two_ones(recognizer):
    """A tick as wide as two digits: cut at its corner, the short down-stroke and the long
    up-stroke each read as a sure 1. A side under half the line's height is no digit of its own."""
    tick = [[(0.0, 0.6), (0.6, 1.0), (2.0, 0.0)]]
    number = read(recognizer, draw_number([tick], size=(760, 320)))
    assert len(number.digits) == 1 and not number.digits[0].confident


def test_a_piece_that_is_no_digit_is_named(recognizer):
    square = [[(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9), (0.1, 0.1)]]
    filled = [[(x, 0.1 + 0.03 * row) for row in range(27) for x in ((0.1, 0.9) if row % 2 == 0 else (0.9, 0.1))]]
    number = read(recognizer, draw_number(["2", filled, "5"], size=(720, 320), pen=26))
    assert number.number is None and number.problem.startswith("Digit 2 of 3 is not a digit")
    assert [r.digit for r in number.digits][::2] == ["2", "5"]
    assert read(recognizer, draw_number(["7", square], size=(500, 320))).digits[0].digit == "7"


def test_blank_and_noise_do_not_break_it(recognizer):
    rng = np.random.default_rng(0)
    assert recognizer.read_numbers([Image.new("RGB", (300, 300), "white")]) == [None]
    speckled = Image.fromarray(np.where(rng.random((600, 600)) < 0.3, 0, 255).astype(np.uint8))
    (number,) = recognizer.read_numbers([speckled])  # thousands of pieces: one, refused
    assert len(number.digits) == 1 and number.number is None
