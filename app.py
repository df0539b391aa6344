"""The Space: draw a digit, see at once the three digits the model finds most likely.

    python app.py        # serves on http://127.0.0.1:7860

Weights: MODEL_REPO (optionally pinned with MODEL_REVISION) from the Hub, else those shipped in
weights/. API for gradio_client: /predict takes an image file and returns the gr.Label value.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr
import numpy as np

from cnn.serve import (
    LOW_CONFIDENCE,
    MAX_FILE_BYTES,
    BadImage,
    Reading,
    Recognizer,
    load_served_model,
    open_image,
)

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

BLANK = "blank"  # /predict's answer for an image without ink: documented in the README
NOT_A_DIGIT = "not a digit"  # /predict's answer for noise, a filled shape, or strokes the model reads as no digit
ERROR_PREFIX = "error: "  # /predict's label for a file it cannot read, followed by the reason
MAX_BATCH = 32  # requests read in one forward pass: ~10 ms of model time for 32 images here (BENCHMARKS.md)

SERVED = load_served_model()
RECOGNIZER = Recognizer(SERVED.model)

ASK_TO_DRAW = "✏️ **Draw a digit from 0 to 9**: any size, anywhere on the canvas."
ASK_TO_UPLOAD = "🖼️ **Upload or paste a picture** of one digit, or click an example."
NOTHING_FOUND = "🔍 No digit found: the image looks blank."


def label_value(reading: Reading | None, blank: str | None) -> dict[str, float] | str | None:
    if reading is None:
        return blank
    return reading.top if reading.is_digit else NOT_A_DIGIT


def a_or_an(digit: str) -> str:
    return f"an {digit}" if digit == "8" else f"a {digit}"


def status_text(reading: Reading | None, when_blank: str) -> str:
    if reading is None:
        return when_blank
    if not reading.is_digit:
        return "🔎 **Not a digit**, as far as the model can tell: it reads digits from 0 to 9, one at a time."
    digits = list(reading.top)
    if reading.confident:
        return f"It's **{a_or_an(digits[0])}** ({reading.top[digits[0]]:.0%} sure)."
    return (
        f"🤔 **Not sure** (below {LOW_CONFIDENCE:.0%}): maybe {a_or_an(digits[0])} or {a_or_an(digits[1])}. "
        "One digit at a time reads best."
    )


def preview(reading: Reading | None) -> np.ndarray | None:
    """The 28x28 input as an image; the page enlarges it without smoothing (CSS below)."""
    return None if reading is None else (reading.pixels * 255).astype(np.uint8)


def read_drawings(drawings: list[dict | None]) -> tuple[list, list, list]:
    """Sketchpad values (batched) -> label, status line, what the model sees."""
    readings = RECOGNIZER.read([None if d is None else d.get("composite") for d in drawings])
    return (
        [label_value(r, None) for r in readings],
        [status_text(r, ASK_TO_DRAW) for r in readings],
        [preview(r) for r in readings],
    )


def predict(paths: list[str | None]) -> tuple[list]:
    """/predict (batched): image files -> gr.Label values, the top-3 digits with probabilities.

    A blank image answers the label "blank"; a file that is not a readable image answers
    "error: <why>". Nothing raises, so one bad file never fails the other requests of its batch.
    """
    images, errors = [], []
    for path in paths:
        try:
            images.append(None if path is None else open_image(path))
            errors.append(None)
        except BadImage as err:
            images.append(None)
            errors.append(f"{ERROR_PREFIX}{err}")
    readings = RECOGNIZER.read(images)
    labels = [
        error or (None if path is None else label_value(reading, BLANK))
        for path, error, reading in zip(paths, errors, readings)
    ]
    return (labels,)


def read_upload(path: str | None) -> tuple:
    """The page's upload or example: label, status line and what the model sees."""
    if path is None:
        return None, ASK_TO_UPLOAD, None
    try:
        image = open_image(path)
    except BadImage as err:
        return None, f"⚠️ {err}", None
    (reading,) = RECOGNIZER.read([image])
    return label_value(reading, None), status_text(reading, NOTHING_FOUND), preview(reading)


# Gradio 6's Sketchpad opens, and comes back after "Clear canvas", with no tool selected, so a
# visitor's first strokes would draw nothing. Whenever no tool is active, pick the brush (the
# first tool); a tool the visitor chose (eraser, pan) is highlighted and left alone.
KEEP_PEN_READY = """
() => {
  const armBrush = () => {
    const pad = document.getElementById("sketchpad");
    if (!pad || pad.querySelector("button.highlight")) return;
    const brush = pad.querySelector(".toolbar-wrap button");
    if (brush) brush.click();
  };
  new MutationObserver(armBrush).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["class"],
  });
  armBrush();
}
"""

CSS = """
#intro h1 { font-size: clamp(1.35rem, 5.5vw, 2rem); margin-bottom: 0.2em; }
#preview img { width: 112px !important; height: 112px !important; object-fit: contain; image-rendering: pixelated; }
#sketchpad canvas { touch-action: none; }
/* On a phone the editor's 30 px around its canvas (Gradio's border_padding) would shrink the
   drawing area to two thirds of the width: let that margin spill into the page's own. */
@media (max-width: 700px) {
  #sketchpad { margin: 0 -30px !important; width: calc(100% + 60px) !important; max-width: none !important;
               border: none !important; }
  #sketchpad .toolbar-wrap { left: 0 !important; }
}
/* One pen colour: no colour tool (its black icon also vanished in dark mode). */
#sketchpad button[aria-label="Color"] { display: none; }
/* A steady layout: the answer area keeps its place and size whatever the answer. */
#status { height: 4.2em; overflow: hidden; }
#answer { height: 196px; overflow: hidden; }
/* The examples and uploads are drawings on paper: show them on paper in dark mode too. */
#examples img, #examples button, #upload img { background: #ffffff !important; }
"""

EXAMPLES = [
    str(Path(__file__).resolve().parent / "examples" / name)
    for name in ("seven_pencil.png", "three_transparent.png", "four_chalkboard.png", "two_small_corner.png", "nine_marker.png")
]

with gr.Blocks(title="Digit recognizer") as demo:
    gr.Markdown(
        "# ✍️ Handwritten digit recognizer\n"
        "Draw a digit from 0 to 9 with your mouse or finger: the model reads it as you draw.",
        elem_id="intro",
    )
    with gr.Row(equal_height=False):
        # One input at a time: the answer is always about the tab in view, and switching tabs
        # reads that tab's input again.
        with gr.Column(scale=3, min_width=300), gr.Tabs(elem_id="inputs"):
            with gr.Tab("Draw", id="draw", elem_id="draw-tab") as draw_tab:
                sketch = gr.Sketchpad(
                    elem_id="sketchpad",
                    show_label=False,
                    type="pil",
                    image_mode="RGBA",
                    canvas_size=(400, 400),
                    height=390,  # the 400x400 canvas, scaled to the column, plus the editor's 30 px margins
                    format="png",  # lossless: webp would smear the strokes
                    layers=False,
                    transforms=(),
                    brush=gr.Brush(default_size=20, colors=["#000000"], color_mode="fixed"),
                )
                read_button = gr.Button("Read my digit", variant="primary", elem_id="read")
            with gr.Tab("Upload a picture", id="upload", elem_id="upload-tab") as upload_tab:
                upload = gr.Image(
                    elem_id="upload",
                    label="Upload or paste a picture of one digit",
                    type="filepath",
                    image_mode=None,  # no decoding by Gradio: open_image checks the size first
                    sources=["upload", "clipboard"],
                    height=260,
                )
                gr.Examples(EXAMPLES, inputs=upload, label="Examples: click one", elem_id="examples")
        # After the input, so that on a phone the answer comes right below the canvas.
        with gr.Column(scale=2, min_width=260, elem_id="answer-area"):
            # The status line first: it names the top digit and its probability, so on a phone
            # the answer is in view right below the canvas.
            status = gr.Markdown(ASK_TO_DRAW, elem_id="status")
            label = gr.Label(num_top_classes=3, label="Top 3", elem_id="answer")
            # A caption, not the image's label: Gradio floats the label over the image's top.
            gr.Markdown("What the model sees (28×28):", elem_id="preview-caption")
            seen = gr.Image(
                label="What the model sees (28×28)",
                show_label=False,
                elem_id="preview",
                interactive=False,
                height=112,
                width=112,
                buttons=[],
            )
    served = f"[{SERVED.description}]({SERVED.card_url})" if SERVED.card_url else SERVED.description
    gr.Markdown(f"Model: **DigitCNN**, {served}. Nothing you draw or upload is stored.", elem_id="served")

    gr.on(
        triggers=[sketch.change, read_button.click, draw_tab.select],
        fn=read_drawings,
        inputs=sketch,
        outputs=[label, status, seen],
        batch=True,
        max_batch_size=MAX_BATCH,
        show_progress="hidden",
        api_visibility="private",
        trigger_mode="always_last",  # while drawing, only the latest stroke's reading matters
    )
    # "Clear canvas" answers at once: a reading of the last strokes still on its way must not
    # be the last word (its change event can arrive after the clear).
    sketch.clear(
        lambda: (None, ASK_TO_DRAW, None),
        outputs=[label, status, seen],
        show_progress="hidden",
        api_visibility="private",
        trigger_mode="always_last",
    )
    gr.on(
        triggers=[upload.change, upload_tab.select],
        fn=read_upload,
        inputs=upload,
        outputs=[label, status, seen],
        show_progress="hidden",
        api_visibility="private",
    )

    # The public API. A File input, not an Image: Gradio would decode an Image itself, and a
    # broken file would then fail every request of its batch with a vague error. (A validator
    # would be the tool, but Gradio 6.31 mishandles validators of batched events.)
    api_file = gr.File(visible=False)
    api_file.change(
        predict,
        inputs=api_file,
        outputs=label,
        api_name="predict",  # what clients call: keep this name stable
        batch=True,
        max_batch_size=MAX_BATCH,
    )

demo.queue(default_concurrency_limit=2, max_size=512)
LAUNCH_OPTIONS = dict(max_file_size=MAX_FILE_BYTES, js=KEEP_PEN_READY, css=CSS)

if __name__ == "__main__":
    demo.launch(**LAUNCH_OPTIONS)
