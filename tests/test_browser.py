"""A real browser: Debian's Chromium, driven by Playwright, draws digits on the sketchpad.

No tool is clicked first: the pen must be ready on opening the page and after every clear.
Set SCREENSHOT_PATH to keep the screenshot (the README's comes from here).
"""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from helpers import ROOT
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


def draw_digit(page, digit: int) -> None:
    """Mouse strokes of `digit` in the middle of the drawing area."""
    box = page.locator("#sketchpad canvas").first.bounding_box()
    side = 0.5 * min(box["width"], box["height"])
    left, top = box["x"] + box["width"] / 2 - side / 2, box["y"] + box["height"] / 2 - side / 2
    for stroke in DIGIT_STROKES[digit]:
        points = [(left + x * side * 0.8 + side * 0.1, top + y * side) for x, y in smooth(stroke, per_segment=4)]
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point)
        page.mouse.up()


def top1(page) -> str:
    return page.locator("#answer .output-class").inner_text().strip()


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["laptop", "phone"])
def test_draw_digits_and_read_the_answers(app_url, browser, tmp_path, viewport):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    page.goto(app_url, wait_until="networkidle")
    status = page.locator("#status")
    expect(status).to_contain_text("Draw a digit")
    digits = [7, 3, 0, 4, 2, 8] if viewport[0] > 600 else [5, 1]
    read = []
    for n, digit in enumerate(digits):
        draw_digit(page, digit)  # straight away: no tool clicked, on load and after each clear
        expect(status).to_contain_text(f"It's {'an' if digit == 8 else 'a'} {digit}", timeout=15_000)
        read.append(top1(page))
        if n == len(digits) - 1:
            shot = tmp_path / "screenshot.png"
            page.screenshot(path=str(shot), full_page=True)
            if os.environ.get("SCREENSHOT_PATH") and viewport[0] > 600:
                shutil.copy(shot, os.environ["SCREENSHOT_PATH"])
        else:
            page.locator("#sketchpad button[aria-label='Clear canvas']").click()
            expect(status).to_contain_text("Draw a digit", timeout=15_000)
    assert read == [str(d) for d in digits]
    assert (tmp_path / "screenshot.png").stat().st_size > 10_000
    page.close()
