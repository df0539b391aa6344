"""The Space: draw a digit, see at once the three digits the model finds most likely.

    python app.py        # serves on http://127.0.0.1:7860

Weights: MODEL_REPO (optionally pinned with MODEL_REVISION) from the Hub, else those shipped in
weights/. API for gradio_client: /predict takes an image file of one digit and returns the
gr.Label value; /read_number takes an image file of a number and returns JSON (README, "Read a number");
/correct keeps a drawing and the digit its author meant, when CORRECTIONS_REPO is set (README,
"Collecting corrections").
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path

import gradio as gr
import numpy as np

from cnn.corrections import LABELS, NOT_CONFIGURED, CorrectionRefused, store_from_env
from cnn.serve import (
    LOW_CONFIDENCE,
    MAX_FILE_BYTES,
    BadImage,
    NumberReading,
    Reading,
    Recognizer,
    load_served_model,
    open_image,
)

logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

BLANK = "blank"  # /predict's answer for an image without ink: documented in the README
NOT_A_DIGIT = "not a digit"  # /predict's answer for noise, a filled shape, or strokes the model reads as no digit
ERROR_PREFIX = "error: "  # /predict's label for a file it cannot read, followed by the reason
TOUCHING = "touching digits"  # /read_number's label for ink that holds digits no clean cut separated
MAX_BATCH = 32  # requests read in one forward pass: ~10 ms of model time for 32 images here (BENCHMARKS.md)
# The sketchpad's pen, px on its 400 px canvas. A 20 px brush turned digits drawn 40-80 px tall
# into blobs (89.8% read right, 3.7% refused); 12 px reads them as well as larger ones, and
# to_mnist widens a thin pen on a large digit anyway (BENCHMARKS.md, "The brush").
BRUSH_PX = 12

SERVED = load_served_model()
RECOGNIZER = Recognizer(SERVED.model)
# None unless CORRECTIONS_REPO and a write token are set: then the page shows the "Wrong?" control.
CORRECTIONS = store_from_env({"repo": SERVED.repo, "revision": SERVED.revision})

ASK_TO_DRAW = "✏️ **Draw a digit from 0 to 9**, or a number with a small gap between digits: any size, anywhere."
ASK_TO_UPLOAD = "🖼️ **Upload or paste a picture** of a digit or a number, or click an example."
NOTHING_FOUND = "🔍 No digit found: the image looks blank."
DRAW_FIRST = "✏️ Draw or upload a digit first, then click the digit you meant."


def label_value(reading: Reading | None, blank: str | None) -> dict[str, float] | str | None:
    if reading is None:
        return blank
    return reading.top if reading.is_digit else NOT_A_DIGIT


def a_or_an(digit: str) -> str:
    return f"an {digit}" if digit == "8" else f"a {digit}"


def status_text(reading: Reading | None, when_blank: str, maybe_touching: str | None = None) -> str:
    """The status line for one digit; `maybe_touching`: the digits its ink reads as when cut
    (NumberReading.maybe_touching), which make a sure digit a guess."""
    if reading is None:
        return when_blank
    if not reading.is_digit:
        if not reading.handwriting:  # the stroke checks (cnn.preprocess): a blob, a filled shape or noise
            return "🔎 **Not a digit**, as far as the model can tell: it looks like a filled shape. Drawn larger, a digit's loops stay visible."
        return "🔎 **Not a digit**, as far as the model can tell: it reads digits from 0 to 9, one at a time."
    digits = list(reading.top)
    if reading.confident and maybe_touching:
        return f"🤔 **Not sure**: maybe {a_or_an(digits[0])}, or {maybe_touching} with its digits touching."
    if reading.confident:
        return f"It's **{a_or_an(digits[0])}** ({reading.top[digits[0]]:.0%} sure)."
    # No advice: the drawing is often a clear digit whose shape two digits share (a European 1
    # and a 7), and the page reads whole numbers, so "one digit at a time" would mislead.
    return f"🤔 **Not sure** (below {LOW_CONFIDENCE:.0%}): maybe {a_or_an(digits[0])} or {a_or_an(digits[1])}."


def preview(reading: Reading | None) -> np.ndarray | None:
    """The 28x28 input as an image; the page enlarges it without smoothing (CSS below)."""
    return None if reading is None else (reading.pixels * 255).astype(np.uint8)


def which_digits(places: list[int]) -> str:
    """Digits named by place, short enough for the status box's second line on a phone (~54
    characters): "digit 2", "digits 2 and 4", "digits 1, 2 and 5", past three "5 digits"."""
    if len(places) == 1:
        return f"digit {places[0]}"
    if len(places) > 3:
        return f"{len(places)} digits"
    return f"digits {', '.join(map(str, places[:-1]))} and {places[-1]}"


def number_status(number: NumberReading) -> str:
    """The status line for several digits: the number in large type, or why there is none."""
    if number.problem:
        return f"🔎 **{number.problem}**"
    unsure = [index for index, reading in enumerate(number.digits, 1) if not reading.confident]
    cut = [index for index, was_cut in enumerate(number.cut, 1) if was_cut]
    maybe = [index for index, digits in enumerate(number.maybe_touching, 1) if digits]
    if number.sure:
        note = f"Every digit at least {LOW_CONFIDENCE:.0%} sure."
    elif cut:  # sure sides of a cut are often the wrong digits (cnn.serve.Choice.cut)
        note = f"🤔 Not sure: {which_digits(cut)} touch. Leave a gap."
    elif maybe:  # read whole, but cut it reads as well (cnn.serve.RIVAL_EVIDENCE)
        note = f"🤔 Not sure: {which_digits(maybe)} may be digits that touch."
    elif len(unsure) == 1:
        top = list(number.digits[unsure[0] - 1].top)
        note = f"🤔 Not sure of digit {unsure[0]}: maybe {a_or_an(top[0])} or {a_or_an(top[1])}."
    else:  # each one's alternatives are in the table under the answer
        note = f"🤔 Not sure of {which_digits(unsure)} (top 3 below)."
    return f'It reads <span class="number">{number.number}</span><br>{note}'


def digits_table(number: NumberReading) -> str:
    """Each digit's top 3, a column per digit, in the order of the preview strip."""
    def cell(reading: Reading, rank: int) -> str:
        digit, probability = list(reading.top.items())[rank]
        return f"{digit} · {probability:.0%}" if probability >= 0.005 else f"{digit} · <1%"

    header = "| | " + " | ".join(f"digit {i}" for i in range(1, len(number.digits) + 1)) + " |"
    rule = "|---|" + "---|" * len(number.digits)
    rows = [f"| {place} | " + " | ".join(cell(r, rank) for r in number.digits) + " |" for rank, place in enumerate(("1st", "2nd", "3rd"))]
    return "\n".join([header, rule, *rows])


def preview_strip(number: NumberReading) -> np.ndarray:
    """What the model sees for each digit, side by side with a grey rule between them."""
    tiles = []
    for reading in number.digits:
        tiles += [preview(reading), np.full((28, 2), 128, np.uint8)]
    return np.hstack(tiles[:-1])


def show(number: NumberReading | None, when_blank: str) -> tuple:
    """A reading for the page: label, status line, what the model sees, the digits' table.
    One digit keeps the single-digit display; several show the number."""
    if number is None or (len(number.digits) == 1 and all(number.separated)):
        reading = None if number is None else number.digits[0]
        status = status_text(reading, when_blank, None if number is None else number.maybe_touching[0])
        return label_value(reading, None), status, preview(reading), ""
    label = number.likeliest() if number.number else (NOT_A_DIGIT if all(number.separated) else TOUCHING)
    return label, number_status(number), preview_strip(number), digits_table(number)


def read_drawings(drawings: list[dict | None]) -> tuple[list, list, list, list]:
    """Sketchpad values (batched) -> label, status line, what the model sees, the digits' table."""
    numbers = RECOGNIZER.read_numbers([None if d is None else d.get("composite") for d in drawings])
    return tuple(map(list, zip(*(show(number, ASK_TO_DRAW) for number in numbers))))


def open_all(paths: list[str | None]) -> tuple[list, list]:
    """Each file opened as an image (None for no file or a bad one) and the error for a bad one."""
    images, errors = [], []
    for path in paths:
        try:
            images.append(None if path is None else open_image(path))
            errors.append(None)
        except BadImage as err:
            images.append(None)
            errors.append(f"{ERROR_PREFIX}{err}")
    return images, errors


def predict(paths: list[str | None]) -> tuple[list]:
    """/predict (batched): image files -> gr.Label values, the top-3 digits with probabilities.

    A blank image answers the label "blank"; a file that is not a readable image answers
    "error: <why>". Nothing raises, so one bad file never fails the other requests of its batch.
    """
    images, errors = open_all(paths)
    readings = RECOGNIZER.read(images)
    labels = [
        error or (None if path is None else label_value(reading, BLANK))
        for path, error, reading in zip(paths, errors, readings)
    ]
    return (labels,)


def number_json(number: NumberReading | None) -> dict:
    """/read_number's answer (README, "Read a number"): the number, each digit's top 3 and box, and a
    message saying why there is no number (None when there is one)."""
    if number is None:
        return {"number": None, "digits": [], "message": BLANK}
    digits = []
    for reading, box, separated, cut, maybe in zip(number.digits, number.boxes, number.separated, number.cut, number.maybe_touching):
        label = reading.digit if reading.is_digit and separated else NOT_A_DIGIT if separated else TOUCHING
        confidences = [{"label": digit, "confidence": probability} for digit, probability in reading.top.items()]
        digits.append({"label": label, "confidences": confidences, "box": list(box), "cut": cut, "maybe_touching": maybe})
    return {"number": number.number, "digits": digits, "message": number.problem}


def read_number(paths: list[str | None]) -> tuple[list]:
    """/read_number (batched): image files -> the JSON of number_json, or for a file that is not
    a readable image {"number": null, "digits": [], "message": "error: <why>"}."""
    images, errors = open_all(paths)
    numbers = RECOGNIZER.read_numbers(images)
    answers = [
        {"number": None, "digits": [], "message": error} if error else number_json(number)
        for error, number in zip(errors, numbers)
    ]
    return (answers,)


def read_upload(path: str | None) -> tuple:
    """The page's upload or example: label, status line, what the model sees, the digits' table."""
    if path is None:
        return None, ASK_TO_UPLOAD, None, ""
    try:
        image = open_image(path)
    except BadImage as err:
        return None, f"⚠️ {err}", None, ""
    (number,) = RECOGNIZER.read_numbers([image])
    return show(number, NOTHING_FOUND)


def read_upload_value(upload: dict | None) -> tuple:
    """read_upload on the upload box's value as sent (its event has preprocess=False): gr.Image
    would open the file with PIL first, and a file that is no image would fail there with a bare
    "Error" instead of open_image's message."""
    return read_upload(None if upload is None else upload.get("path"))


def keep_correction(image, digit: str, session: str) -> str:
    """Keep `image` as a drawing of `digit`: a line for the visitor, "error: <why>" when it is not kept."""
    if CORRECTIONS is None:
        return f"{ERROR_PREFIX}{NOT_CONFIGURED}"
    (reading,) = RECOGNIZER.read([image])
    try:
        CORRECTIONS.save(image, digit, None if reading is None else reading.top, session)
    except CorrectionRefused as err:
        return f"{ERROR_PREFIX}{err}"
    return f"Thanks: kept as {a_or_an(str(digit).strip())}."


def correct(path: str | None, digit: str, request: gr.Request) -> str:
    """/correct: an image file and the digit it shows ("0"-"9") -> "Thanks: kept as a 7.", or
    "error: <why>" (corrections not turned on, a bad digit or file, no ink, too many at once)."""
    if path is None:
        return f"{ERROR_PREFIX}no image file was sent"
    try:
        image = open_image(path)
    except BadImage as err:
        return f"{ERROR_PREFIX}{err}"
    return keep_correction(image, digit, request.session_hash or "")


def correct_from_page(digit: str | None, drawing: dict | None, upload: dict | None, source: str, request: gr.Request) -> tuple:
    """The page's "Wrong?" control: keeps the drawing or upload in view, then clears the choice.
    It takes the sketchpad's and the upload box's values as sent (preprocess=False): Gradio would
    open an upload that is no image itself and answer a bare "Error", not open_image's message."""
    if digit is None:
        return None, ""
    sent = upload if source == "upload" else None if drawing is None else drawing.get("composite")
    if not sent or not sent.get("path"):
        return None, DRAW_FIRST
    message = correct(sent["path"], digit, request)
    if message.startswith(ERROR_PREFIX):
        return None, f"⚠️ Not kept: {message[len(ERROR_PREFIX):]}"
    return None, f"**{message}**"


def consent_markdown() -> str:
    """What the page says next to the control: exactly what is kept, and where (a link)."""
    if CORRECTIONS is None:
        return ""
    return CORRECTIONS.consent().replace(CORRECTIONS.repo_id, f"[{CORRECTIONS.repo_id}]({CORRECTIONS.url})")


# Runs once when the page opens. Two fixes for Gradio 6.31's Sketchpad:
# - It opens, and comes back after "Clear canvas", with no tool selected, so a visitor's first
#   strokes would draw nothing. Whenever no tool is active, pick the brush (the first tool); a
#   tool the visitor chose (eraser, pan) is highlighted and left alone.
# - Once cleared, it can send the drawing it just cleared with a later event (seen about 0.5 s
#   after the clear): until a new stroke it sends the last value it held, not its canvas. So
#   the page keeps its own record, SKETCH_IS_EMPTY: true from a clear until the pen touches the
#   canvas; the events that read the sketch send nothing while it is true.
SKETCH_IS_EMPTY = "window.digitSketchIsEmpty"
PAGE_SCRIPT = """
() => {
  document.addEventListener("pointerdown", (event) => {
    if (event.target.closest?.("#sketchpad canvas")) SKETCH_IS_EMPTY = false;
  }, true);
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
""".replace("SKETCH_IS_EMPTY", SKETCH_IS_EMPTY)

CSS = """
#intro h1 { font-size: clamp(1.35rem, 5.5vw, 2rem); margin-bottom: 0.2em; }
/* 4x, sharp: one digit is 112 px square, a number's strip as wide as it needs (up to the column). */
#preview img { height: 112px !important; width: auto !important; max-width: 100%; object-fit: contain;
               image-rendering: pixelated; }
#status .number { font-size: 2em; font-weight: 700; letter-spacing: 0.06em; line-height: 1; }
#digits table { font-size: 0.9em; }
#digits th, #digits td { padding: 2px 10px; }
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
/* The "Wrong?" control: ten digits in one row, the consent in small print. */
#correct .wrap { gap: 4px !important; }
#correct label { padding: 4px 12px !important; min-width: 0 !important; cursor: pointer; }
/* A digit is a button: one click sends, then the choice is cleared. The radio stays in the tab order. */
#correct input[type="radio"] { position: absolute; opacity: 0; width: 1px; height: 1px; }
#correct label:focus-within { outline: 2px solid var(--color-accent); }
#correction-status, #consent { padding: 2px 12px; }
#consent { font-size: 0.8em; }
#correction-status:empty { display: none; }
/* The examples and uploads are drawings on paper: show them on paper in dark mode too. */
#examples img, #examples button, #upload img { background: #ffffff !important; }
"""

EXAMPLES = [
    str(Path(__file__).resolve().parent / "examples" / name)
    for name in ("seven_pencil.png", "three_transparent.png", "five_photo.jpg", "four_chalkboard.png", "two_small_corner.png", "nine_marker.png", "number_2026.png")
]

with gr.Blocks(title="Digit recognizer") as demo:
    gr.Markdown(
        "# ✍️ Handwritten digit recognizer\n"
        "Draw a digit from 0 to 9, or a whole number, with your mouse or finger: the model reads it as you draw.",
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
                    brush=gr.Brush(default_size=BRUSH_PX, colors=["#000000"], color_mode="fixed"),
                )
                read_button = gr.Button("Read my drawing", variant="primary", elem_id="read")
            with gr.Tab("Upload a picture", id="upload", elem_id="upload-tab") as upload_tab:
                upload = gr.Image(
                    elem_id="upload",
                    label="Upload or paste a picture of a digit or a number",
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
                buttons=[],
            )
            # Several digits: each one's top 3, a column per digit (empty for one digit).
            table = gr.Markdown("", elem_id="digits")
            # Shown only when the Space keeps corrections (CORRECTIONS_REPO): one click sends.
            with gr.Group(visible=CORRECTIONS is not None, elem_id="correction"):
                correction = gr.Radio(list(LABELS), value=None, label="Wrong? The digit I drew is:", elem_id="correct")
                correction_status = gr.Markdown("", elem_id="correction-status")
                gr.Markdown(consent_markdown(), elem_id="consent")
    # The tab in view: what a correction keeps. A hidden Textbox, not a gr.State: a State makes
    # Gradio hold a heartbeat connection open for every visitor.
    source = gr.Textbox("draw", visible=False)
    served = f"[{SERVED.description}]({SERVED.card_url})" if SERVED.card_url else SERVED.description
    stored = 'Nothing you draw or upload is stored unless you click a digit under "Wrong?".' if CORRECTIONS else "Nothing you draw or upload is stored."
    gr.Markdown(f"Model: **DigitCNN**, {served}. {stored}", elem_id="served")

    gr.on(
        triggers=[sketch.change, read_button.click, draw_tab.select],
        fn=read_drawings,
        inputs=sketch,
        outputs=[label, status, seen, table],
        batch=True,
        max_batch_size=MAX_BATCH,
        show_progress="hidden",
        api_visibility="private",
        trigger_mode="always_last",  # while drawing, only the latest stroke's reading matters
        js=f"(drawing) => {SKETCH_IS_EMPTY} ? null : drawing",
    )
    # "Clear canvas" answers at once, in the browser. A reading still on its way when the visitor
    # clears is not the last word: the cleared sketch's own change event reads it empty after it.
    sketch.clear(
        None,
        outputs=[label, status, seen, table, correction_status],
        js=f"() => {{ {SKETCH_IS_EMPTY} = true; return {json.dumps([{}, ASK_TO_DRAW, None, '', ''])}; }}",  # {} is gr.Label's empty value
        show_progress="hidden",
        api_visibility="private",
    )
    gr.on(
        triggers=[upload.change, upload_tab.select],
        fn=read_upload_value,
        inputs=upload,
        outputs=[label, status, seen, table],
        preprocess=False,
        show_progress="hidden",
        api_visibility="private",
    )

    draw_tab.select(lambda: "draw", outputs=source, show_progress="hidden", api_visibility="private")
    upload_tab.select(lambda: "upload", outputs=source, show_progress="hidden", api_visibility="private")
    correction.input(
        correct_from_page,
        inputs=[correction, sketch, upload, source],
        outputs=[correction, correction_status],
        js=f"(digit, drawing, upload, source) => [digit, {SKETCH_IS_EMPTY} ? null : drawing, upload, source]",
        preprocess=False,
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
    number_file = gr.File(visible=False)
    number_file.change(
        read_number,
        inputs=number_file,
        outputs=gr.JSON(visible=False),
        api_name="read_number",  # documented in the README: keep this name stable
        batch=True,
        max_batch_size=MAX_BATCH,
    )
    correct_file = gr.File(visible=False)
    correct_file.change(
        correct,
        inputs=[correct_file, gr.Textbox(visible=False)],
        outputs=gr.Textbox(visible=False),
        api_name="correct",  # documented in the README (Collecting corrections): keep this name stable
        concurrency_limit=2,
    )

demo.queue(default_concurrency_limit=2, max_size=512)
LAUNCH_OPTIONS = dict(max_file_size=MAX_FILE_BYTES, js=PAGE_SCRIPT, css=CSS)

if __name__ == "__main__":
    if CORRECTIONS is not None:
        # A Space stops its app with SIGTERM. Exit normally instead of dying, so that
        # CommitScheduler's exit hook pushes the corrections not pushed yet.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    demo.launch(**LAUNCH_OPTIONS)
