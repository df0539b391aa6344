"""A real browser: Debian's Chromium, driven by Playwright, draws digits on the sketchpad.

No tool is clicked first: the pen must be ready on opening the page and after every clear.
Set SCREENSHOT_DIR to keep the laptop and phone screenshots (the README's come from here: docs/).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from images import HEIC
from strokes import DIGIT_STROKES, smooth  # examples/strokes.py: examples/ is on pytest's pythonpath

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update"],
        )
        try:
            yield browser
        finally:
            browser.close()


def draw_strokes(page, strokes: list[list[tuple[float, float]]], across: float = 0.0, per_segment: int = 4) -> None:
    """Mouse strokes (unit-box points) in the middle of the drawing area, half its size, moved
    `across` times that size to the right, smoothed with `per_segment` moves between points (1:
    straight lines). Each move takes the sketchpad about 0.3 s in headless Chromium here."""
    box = page.locator("#sketchpad canvas").first.bounding_box()
    side = 0.5 * min(box["width"], box["height"])
    left, top = box["x"] + box["width"] / 2 - side / 2 + across * side, box["y"] + box["height"] / 2 - side / 2
    for stroke in strokes:
        points = [(left + x * side * 0.8 + side * 0.1, top + y * side) for x, y in smooth(stroke, per_segment=per_segment)]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def draw_digit(page, digit: int) -> None:
    draw_strokes(page, DIGIT_STROKES[digit])


# A square filled in by a zigzag of strokes closer than the pen's width: ink, but no digit.
FILLED_SQUARE = [[(x, 0.2 + 0.03 * row) for row in range(21) for x in ((0.1, 0.9) if row % 2 == 0 else (0.9, 0.1))]]


def top1(page) -> str:
    return page.locator("#answer .output-class").inner_text().strip()


def clear(page) -> None:
    page.locator("#sketchpad button[aria-label='Clear canvas']").click()
    expect(page.locator("#status")).to_contain_text("Draw a digit", timeout=15_000)


def open_page(browser, app_url: str, viewport: tuple[int, int]):
    """The app in a new page (a touch screen when phone-sized), ready to draw; and its status line."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, has_touch=viewport[0] < 600)
    page.goto(app_url, wait_until="networkidle")
    status = page.locator("#status")
    expect(status).to_contain_text("Draw a digit")
    return page, status


def in_view(page, selector: str) -> bool:
    box, viewport = page.locator(selector).first.bounding_box(), page.viewport_size
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= viewport["width"] and (
        box["y"] + box["height"] <= viewport["height"])


def positions(page) -> dict:
    return {s: page.locator(s).first.bounding_box() for s in ("#sketchpad", "#status", "#answer", "#preview")}


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["laptop", "phone"])
def test_draw_digits_and_read_the_answers(app_url, browser, tmp_path, viewport):
    phone = viewport[0] < 600
    page, status = open_page(browser, app_url, viewport)
    digits = [5, 1] if phone else [7, 3, 0, 4, 2, 8]
    read = []
    for n, digit in enumerate(digits):
        draw_digit(page, digit)  # straight away: no tool clicked, on load and after each clear
        # This 1 has a short hook, which the shipped weights read right but, at some sizes and pens,
        # below 0.95: "Not sure: maybe a 1" (a known gap: benchmarks/bench_hooked_one.py). Every other
        # digit must be sure.
        sure = f"It's {'an' if digit == 8 else 'a'} {digit}"
        expect(status).to_contain_text(re.compile(f"{sure}|maybe a 1") if digit == 1 else sure, timeout=15_000)
        read.append(top1(page))
        if n < len(digits) - 1:
            clear(page)
    assert read == [str(d) for d in digits]
    # Without scrolling: on a phone the canvas, the top digit and the status line; on a laptop all of the answer.
    visible = ["#sketchpad canvas", "#status", "#answer .output-class"] + ([] if phone else ["#answer", "#preview"])
    assert all(in_view(page, selector) for selector in visible), {s: in_view(page, s) for s in visible}
    if phone:  # the drawing area takes the column's whole width (Gradio's editor alone would leave a third empty)
        assert page.locator("#sketchpad canvas").first.bounding_box()["width"] >= page.locator("#inputs").bounding_box()["width"]
    shot = tmp_path / "screenshot.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    if os.environ.get("SCREENSHOT_DIR"):  # the README's screenshots
        shutil.copy(shot, Path(os.environ["SCREENSHOT_DIR"]) / f"screenshot{'-phone' if phone else ''}.png")
    page.close()


def test_the_layout_stays_put_whatever_the_answer(app_url, browser):
    page, status = open_page(browser, app_url, (390, 844))
    blank = positions(page)
    draw_digit(page, 3)
    expect(status).to_contain_text("It's a 3", timeout=15_000)
    digit = positions(page)
    clear(page)
    draw_strokes(page, FILLED_SQUARE, per_segment=1)  # a zigzag of straight lines
    expect(status).to_contain_text("Not a digit", timeout=15_000)
    assert page.locator("#answer .output-class").inner_text().strip() == "not a digit"
    refused = positions(page)
    assert blank == digit == refused
    # The status box has a fixed height: the refusal's words must still fit in it on a phone.
    assert status.evaluate("e => e.scrollHeight <= e.clientHeight"), status.inner_text()
    page.close()


def test_the_answer_is_about_the_tab_in_view(app_url, browser):
    page, status = open_page(browser, app_url, (1280, 800))
    draw_digit(page, 7)
    expect(status).to_contain_text("It's a 7", timeout=15_000)
    page.get_by_role("tab", name="Upload a picture").click()
    expect(status).to_contain_text("Upload or paste a picture", timeout=15_000)  # not the drawing's 7
    page.locator("#examples").get_by_role("button").nth(1).click()  # three_transparent.png
    expect(status).to_contain_text("It's a 3", timeout=15_000)
    page.get_by_role("tab", name="Draw").click()
    expect(status).to_contain_text("It's a 7", timeout=15_000)  # the drawing is still there, read again
    assert top1(page) == "7"
    page.close()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("notes.png", b"just some text", "This file is not an image"), ("IMG_0001.heic", HEIC, "This is a HEIC photo")],
)
def test_an_upload_that_is_no_image_we_read_gets_its_message(app_url, browser, tmp_path, name, content, message):
    """Through the upload box, where gr.Image would open the file itself and answer a bare "Error"."""
    page, status = open_page(browser, app_url, (1280, 800))
    page.get_by_role("tab", name="Upload a picture").click()
    (tmp_path / name).write_bytes(content)
    page.locator("#upload input[type=file]").set_input_files(str(tmp_path / name))
    expect(status).to_contain_text(message, timeout=15_000)
    page.locator("#examples").get_by_role("button").nth(1).click()  # and the box still reads pictures
    expect(status).to_contain_text("It's a 3", timeout=15_000)
    page.close()


def test_a_canvas_cleared_at_once_stays_cleared(app_url, browser):
    """Gradio 6.31's sketchpad, once cleared, can send the drawing it just cleared with a later event
    (about 0.5 s after). Cleared right after an answer, the page must not bring that answer back."""
    page, status = open_page(browser, app_url, (1280, 800))
    for _ in range(3):  # without the page's guard, about one try in three brought "It reads 47" back
        draw_strokes(page, DIGIT_STROKES[4], across=-0.45)
        draw_strokes(page, DIGIT_STROKES[7], across=0.45)
        expect(status).to_contain_text("It reads 47", timeout=15_000)
        clear(page)
        page.wait_for_timeout(1500)
        assert "Draw a digit" in status.inner_text()
        assert page.locator("#answer .output-class").count() == 0 and page.locator("#preview img").count() == 0
    draw_digit(page, 3)
    expect(status).to_contain_text("It's a 3", timeout=15_000)
    page.close()


@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["laptop", "phone"])
def test_a_number_reads_as_a_number(app_url, browser, viewport):
    phone = viewport[0] < 600
    page, status = open_page(browser, app_url, viewport)
    draw_strokes(page, DIGIT_STROKES[4], across=-0.45)
    expect(status).to_contain_text("It's a 4", timeout=15_000)  # one digit: today's display
    draw_strokes(page, DIGIT_STROKES[7], across=0.45)
    expect(status).to_contain_text("It reads 47", timeout=15_000)
    assert top1(page) == "47"  # the likeliest numbers
    expect(page.locator("#digits")).to_contain_text("digit 2")
    assert page.locator("#preview img").first.bounding_box()["width"] > 1.8 * 112  # two digits side by side
    if not phone:
        assert all(in_view(page, s) for s in ("#status", "#answer", "#preview", "#digits"))
    clear(page)
    expect(page.locator("#digits [data-testid='markdown']")).to_have_text("")  # not the hidden progress timer
    draw_strokes(page, DIGIT_STROKES[4], across=-0.45)
    draw_strokes(page, DIGIT_STROKES[7], across=0.45)
    expect(status).to_contain_text("It reads 47", timeout=15_000)
    if os.environ.get("SCREENSHOT_DIR") and not phone:  # the README's
        page.screenshot(path=str(Path(os.environ["SCREENSHOT_DIR"]) / "screenshot-number.png"))
    page.close()
