"""Visitors' corrections: the page and /correct, the store on disk, CommitScheduler pushing to a dataset on
the local Hub (real huggingface_hub HTTP calls, nothing patched), and train.py --corrections."""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

import cnn
from cnn.corrections import MAX_PNG_BYTES, MAX_SIDE, METADATA_NAME, CorrectionStore, RateLimit, load_corrections, png_bytes
from cnn.redraw import random_stroke, redraw
from helpers import ROOT, WRITE_TOKEN, readme_bash_block, run_train, running_app
from test_browser import browser, clear, draw_digit, open_page  # noqa: F401 (browser is a fixture)

# huggingface_hub's own LFS upload passes a file object as `data=`, which httpx2 flags as deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

EVERY = 0.02  # minutes: a push every 1.2 s


def wait_for(condition, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within {timeout:g} s")


def dataset(hub, repo: str) -> dict[str, bytes]:
    key = f"datasets/{repo}"
    return hub.files(key) if key in hub.repos else {}


def lines(files: dict[str, bytes]) -> list[dict]:
    return [json.loads(line) for path, data in sorted(files.items()) if path.endswith(METADATA_NAME)
            for line in data.decode().splitlines()]


def drawing(mnist_test, index: int, seed: int = 0) -> tuple[Image.Image, int]:
    images, labels = mnist_test
    return redraw(images[index], random_stroke(np.random.default_rng(seed))), int(labels[index])


def saved(tmp_path: Path, image: Image.Image, name: str) -> str:
    path = tmp_path / name
    image.save(path)
    return str(path)


# ----- through the app: the page and /correct -----

REPO = "alice/visitor-corrections"


@pytest.fixture(scope="module")
def corrections_app(hub, tmp_path_factory):
    root = tmp_path_factory.mktemp("corrections-app")
    env = {"CORRECTIONS_REPO": REPO, "HF_TOKEN": WRITE_TOKEN, "CORRECTIONS_EVERY_MINUTES": str(EVERY),
           "CORRECTIONS_DIR": str(root / "kept"), "HF_HOME": str(root / "hf-home")}
    with running_app(env, root / "app.log") as app:
        app.folder = root / "kept"
        yield app


@pytest.mark.slow
def test_a_correction_sent_to_correct_lands_in_one_commit_with_its_png_and_line(corrections_app, hub, mnist_test, tmp_path):
    image, _ = drawing(mnist_test, 0)
    sent = time.time()
    answer = Client(corrections_app.url, verbose=False).predict(handle_file(saved(tmp_path, image, "d.png")), "3", api_name="/correct")
    assert answer == "Thanks: kept as a 3."

    def pushed():
        return next((line for line in lines(dataset(hub, REPO)) if line["label"] == 3), None)

    line = wait_for(pushed, what="the push")
    commits = hub.commits(f"datasets/{REPO}")
    with_line = [c for c in commits if any(l["file_name"] == line["file_name"] for l in lines(hub.files(f"datasets/{REPO}", c)))]
    first = with_line[-1]  # the oldest commit that has the line: the PNG came in that same commit
    png = next(p for p in hub.files(f"datasets/{REPO}", first) if p.endswith("/" + line["file_name"]))
    parent = commits[commits.index(first) + 1]
    assert png not in hub.files(f"datasets/{REPO}", parent)
    stored = Image.open(io.BytesIO(hub.files(f"datasets/{REPO}", first)[png]))
    assert stored.size == image.size and np.array_equal(np.asarray(stored), np.asarray(image))  # as sent
    assert [c["label"] for c in line["model_top3"]][0] in "0123456789" and len(line["model_top3"]) == 3
    assert line["model"] == {"repo": None, "revision": None} and line["app_version"] == cnn.__version__
    assert abs(datetime.fromisoformat(line["timestamp"]).timestamp() - sent) < 60
    assert datetime.fromisoformat(line["timestamp"]).tzinfo == timezone.utc
    card = hub.files(f"datasets/{REPO}")["README.md"].decode()
    assert "no account, no IP address" in card and "file_name" in card  # consent text and schema


@pytest.mark.slow
def test_reading_through_the_api_stores_nothing(corrections_app, hub, tmp_path):
    wait_for(lambda: f"datasets/{REPO}" in hub.repos, what="the dataset's creation")
    time.sleep(3 * EVERY * 60)  # let any earlier correction be pushed first
    before_files = sorted(p for p in corrections_app.folder.rglob("*") if p.is_file())
    before_commits = hub.commits(f"datasets/{REPO}")
    client = Client(corrections_app.url, verbose=False)
    example = handle_file(str(Path(cnn.__file__).parent.parent / "examples" / "seven_pencil.png"))
    assert client.predict(example, api_name="/predict")["label"] == "7"
    assert client.predict(example, api_name="/read_number")["number"] == "7"
    time.sleep(3 * EVERY * 60)
    assert sorted(p for p in corrections_app.folder.rglob("*") if p.is_file()) == before_files
    assert hub.commits(f"datasets/{REPO}") == before_commits


@pytest.mark.slow
def test_correct_refuses_bad_digits_blank_images_bad_files_and_floods(corrections_app, mnist_test, tmp_path):
    client = Client(corrections_app.url, verbose=False)
    image = handle_file(saved(tmp_path, drawing(mnist_test, 1)[0], "d.png"))
    for digit in ("12", "x", "", "-1", "3.0"):
        assert client.predict(image, digit, api_name="/correct").startswith("error: the digit must be one of 0-9"), digit
    blank = handle_file(saved(tmp_path, Image.new("RGBA", (400, 400)), "blank.png"))
    assert client.predict(blank, "4", api_name="/correct") == "error: the drawing is blank: there is nothing to keep"
    (tmp_path / "not.png").write_bytes(b"not an image")
    assert client.predict(handle_file(str(tmp_path / "not.png")), "4", api_name="/correct").startswith("error: This file is not an image")
    answers = [client.predict(image, "5", api_name="/correct") for _ in range(31)]
    assert answers[:30] == ["Thanks: kept as a 5."] * 30
    assert answers[30] == "error: too many corrections at once: at most 30 a minute"
    other = Client(corrections_app.url, verbose=False)  # the limit is per session
    assert other.predict(image, "5", api_name="/correct") == "Thanks: kept as a 5."


@pytest.mark.slow
def test_the_page_shows_the_control_and_what_is_kept_only_when_configured(corrections_app, app_url):
    def components(url: str) -> dict[str, dict]:
        config = httpx.get(url.rstrip("/") + "/config", timeout=30).json()
        return {c["props"].get("elem_id"): c["props"] for c in config["components"] if c["props"].get("elem_id")}

    on, off = components(corrections_app.url), components(app_url)
    assert on["correction"]["visible"] is True and off["correction"]["visible"] is False
    assert on["correct"]["label"] == "Wrong? The digit I drew is:" and [c[0] for c in on["correct"]["choices"]] == list("0123456789")
    assert REPO in on["consent"]["value"] and "no account, no IP address" in on["consent"]["value"]
    assert "unless you click a digit" in on["served"]["value"] and "Nothing you draw or upload is stored." in off["served"]["value"]


def test_correct_says_when_corrections_are_off(client, tmp_path):
    path = saved(tmp_path, Image.open(Path(cnn.__file__).parent.parent / "examples" / "seven_pencil.png"), "seven.png")
    assert client.predict(handle_file(path), "7", api_name="/correct") == "error: corrections are not turned on for this Space"


@pytest.mark.slow
def test_the_token_is_never_printed_written_or_committed(corrections_app, hub, mnist_test, tmp_path):
    image = handle_file(saved(tmp_path, drawing(mnist_test, 2)[0], "d.png"))
    assert Client(corrections_app.url, verbose=False).predict(image, "1", api_name="/correct").startswith("Thanks")
    wait_for(lambda: sum(line["label"] == 1 for line in lines(dataset(hub, REPO))), what="the push")
    assert "pushed to alice/visitor-corrections" in corrections_app.output()  # the log is there, and says what it did
    assert WRITE_TOKEN not in corrections_app.output()
    for path in corrections_app.folder.rglob("*"):
        assert not path.is_file() or WRITE_TOKEN.encode() not in path.read_bytes(), path
    repo = hub.repos[f"datasets/{REPO}"]
    for commit in repo["commits"].values():
        assert WRITE_TOKEN not in commit["message"]
        assert all(WRITE_TOKEN.encode() not in data for data in commit["files"].values())


@pytest.mark.slow
def test_a_correction_not_pushed_yet_is_pushed_when_the_app_is_stopped(hub, mnist_test, tmp_path):
    repo = "alice/corrections-at-exit"
    env = {"CORRECTIONS_REPO": repo, "HF_TOKEN": WRITE_TOKEN, "CORRECTIONS_EVERY_MINUTES": "60",
           "CORRECTIONS_DIR": str(tmp_path / "kept"), "HF_HOME": str(tmp_path / "hf-home")}
    image = saved(tmp_path, drawing(mnist_test, 3)[0], "d.png")
    with running_app(env, tmp_path / "app.log") as app:
        wait_for(lambda: "README.md" in dataset(hub, repo), what="the dataset's creation")
        assert Client(app.url, verbose=False).predict(handle_file(image), "0", api_name="/correct").startswith("Thanks")
        time.sleep(2)
        assert lines(dataset(hub, repo)) == []  # the next scheduled push is an hour away
    # running_app stops it as a Space does, with SIGTERM: the exit hook pushed it.
    assert [line["label"] for line in lines(dataset(hub, repo))] == [0]


@pytest.mark.slow
def test_readme_setup_turns_corrections_on_with_one_secret_and_one_variable(hub, tmp_path):
    space, dataset_repo = "spaces/alice/digit-recognizer", "alice/digit-corrections"
    if space not in hub.repos:  # the deploy commands' Space (tests/test_deploy.py)
        hub.create_repo(space, sdk="gradio")
    scoped = "hf_test_corrections_only_0123456789"  # fine-grained: that dataset alone
    hub.tokens[scoped] = {"user": "alice", "role": "fineGrained",
                          "scoped": [{"entity": dataset_repo, "permissions": ["repo.write"]}]}
    env = {**os.environ, "HF_TOKEN": WRITE_TOKEN, "CORRECTIONS_TOKEN": scoped, "HF_HOME": str(tmp_path / "cli"), "NO_COLOR": "1"}
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", readme_bash_block("### Collecting corrections")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert scoped not in result.stdout + result.stderr
    secrets, variables = hub.repos[space]["secrets"], hub.repos[space]["variables"]
    assert secrets["HF_TOKEN"] == scoped and variables["CORRECTIONS_REPO"]["value"] == dataset_repo
    assert scoped not in str(variables)

    # The app as the Space starts it: its variables and secrets in the environment.
    started = {"CORRECTIONS_REPO": variables["CORRECTIONS_REPO"]["value"], "HF_TOKEN": secrets["HF_TOKEN"],
               "CORRECTIONS_DIR": str(tmp_path / "kept"), "HF_HOME": str(tmp_path / "space")}
    with running_app(started, tmp_path / "app.log") as app:
        card = wait_for(lambda: dataset(hub, dataset_repo).get("README.md"), what="the dataset's creation")
        example = handle_file(str(ROOT / "examples" / "seven_pencil.png"))
        assert Client(app.url, verbose=False).predict(example, "7", api_name="/correct") == "Thanks: kept as a 7."
    assert b"no account, no IP address" in card
    assert scoped not in app.output()


# ----- the store itself, in this process, against the local Hub -----

def store(folder: Path, repo: str, **kwargs) -> CorrectionStore:
    return CorrectionStore(repo, folder, WRITE_TOKEN, every_minutes=EVERY, **kwargs)


TOP = {"7": 0.9, "1": 0.05, "2": 0.01}


@pytest.mark.slow
def test_corrections_kept_while_the_hub_is_down_are_pushed_when_it_is_back_or_after_a_restart(hub, mnist_test, tmp_path, caplog):
    repo = "alice/corrections-outage"
    hub.fail_with(503)
    try:
        first = store(tmp_path, repo)
        names = [first.save(drawing(mnist_test, i)[0], "7", TOP, "s") for i in range(2)]  # kept on disk
        time.sleep(3 * EVERY * 60)
        assert dataset(hub, repo) == {} and "not reachable" in caplog.text
        first.stop()  # the app stops with the Hub still down
    finally:
        hub.fail_with(None)
    time.sleep(2 * EVERY * 60)
    assert dataset(hub, repo) == {}  # nothing pushes for a stopped app
    second = store(tmp_path, repo)  # the app restarts on the same disk
    try:
        wait_for(lambda: {l["file_name"] for l in lines(dataset(hub, repo))} == set(names), what="the push after the restart")
        # The Hub is down for a while now: the next correction waits, and goes when it is back.
        hub.fail_with(500)
        try:
            later = second.save(drawing(mnist_test, 5)[0], "2", TOP, "s")
            time.sleep(3 * EVERY * 60)
            assert later not in {l["file_name"] for l in lines(dataset(hub, repo))}
        finally:
            hub.fail_with(None)
        wait_for(lambda: later in {l["file_name"] for l in lines(dataset(hub, repo))}, what="the retried push")
    finally:
        second.stop()
    commits = len(hub.commits(f"datasets/{repo}"))
    third = store(tmp_path, repo)  # restarted with nothing new: what was pushed is not pushed again
    try:
        wait_for(lambda: third.scheduler is not None, what="the scheduler's start")
        time.sleep(3 * EVERY * 60)
        assert len(hub.commits(f"datasets/{repo}")) == commits
    finally:
        third.stop()
    assert WRITE_TOKEN not in caplog.text


@pytest.mark.slow
def test_two_app_instances_write_separate_files(hub, mnist_test, tmp_path):
    repo = "alice/corrections-replicas"
    replicas = [store(tmp_path / name, repo) for name in ("a", "b")]
    try:
        for n, replica in enumerate(replicas):
            replica.save(drawing(mnist_test, n)[0], str(n), TOP, "s")
        files = wait_for(lambda: len(lines(dataset(hub, repo))) == 2 and dataset(hub, repo), what="both pushes")
    finally:
        for replica in replicas:
            replica.stop()
    metadata = sorted(p for p in files if p.endswith(METADATA_NAME))
    assert metadata == sorted(f"data/{r.instance}/{METADATA_NAME}" for r in replicas)
    assert replicas[0].instance != replicas[1].instance


def test_a_disk_that_cannot_be_written_is_a_gentle_refusal(hub, mnist_test, tmp_path, caplog):
    kept = store(tmp_path, "alice/corrections-unwritable")
    try:
        (kept.dataset_dir / "data").mkdir(parents=True)
        (kept.dataset_dir / "data" / kept.instance).write_text("")  # a file where the folder goes: every write fails
        with pytest.raises(ValueError, match="could not be kept right now"):
            kept.save(drawing(mnist_test, 0)[0], "7", TOP, "s")
        assert "could not keep" in caplog.text  # logged for the Space's owner
    finally:
        kept.stop()


def test_labels_and_ink_are_checked_before_anything_is_kept(hub, mnist_test, tmp_path):
    kept = store(tmp_path, "alice/corrections-checks")
    try:
        for digit in ("10", "a", None, 3.0, True, " "):
            with pytest.raises(ValueError, match="must be one of 0-9"):
                kept.save(drawing(mnist_test, 0)[0], digit, TOP, "s")
        with pytest.raises(ValueError, match="blank"):
            kept.save(Image.new("L", (300, 300), 255), "4", None, "s")
        assert kept.save(drawing(mnist_test, 0)[0], 7, TOP, "s").endswith(".png")  # an int digit is fine
        assert not list(kept.dataset_dir.rglob("*.tmp"))
        assert len(list(kept.dataset_dir.rglob("*.png"))) == 1
    finally:
        kept.stop()


def test_rate_limit_is_a_sliding_minute_per_session():
    now = [0.0]
    limit = RateLimit(3, clock=lambda: now[0])
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limit.allow("b")  # another session
    now[0] = 59.9
    assert not limit.allow("a")
    now[0] = 60.0  # the first three are a minute old
    assert [limit.allow("a") for _ in range(4)] == [True, True, True, False]


def test_stored_drawings_are_capped_in_size():
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 256, (2400, 1800, 3), dtype=np.uint8))
    png = png_bytes(photo)
    with Image.open(io.BytesIO(png)) as stored:
        assert max(stored.size) <= MAX_SIDE and len(png) <= MAX_PNG_BYTES
        assert stored.size[0] * 4 == stored.size[1] * 3 or abs(stored.size[0] / stored.size[1] - 0.75) < 0.01
    for mode in ("CMYK", "F", "YCbCr", "LAB", "HSV", "I;16"):  # what uploads can open as; PNG cannot hold some
        with Image.open(io.BytesIO(png_bytes(Image.new(mode, (40, 30))))) as stored:
            assert stored.size == (40, 30), mode


# ----- train.py --corrections -----

@pytest.mark.slow
def test_train_reads_corrections_from_a_folder_or_the_hub_and_reports_the_held_out_ones(hub, mnist_test, tmp_path):
    repo = "alice/corrections-to-train-on"
    kept = store(tmp_path / "kept", repo)
    count = 0
    try:
        # The held-out fifth goes by a hash of each file's random name: 25 corrections miss one
        # side 0.4% of the time, so keep drawing until both sides have some.
        while count < 25 or len({c.held_out for c in load_corrections(kept.dataset_dir)[0]}) < 2:
            image, label = drawing(mnist_test, count, seed=count)
            kept.save(image, str(label), TOP, f"visitor{count}")
            count += 1
        wait_for(lambda: len(lines(dataset(hub, repo))) == count, what="the push")
    finally:
        kept.stop()
    found, skipped = load_corrections(kept.dataset_dir)
    assert len(found) == count and skipped == []
    held = sum(c.held_out for c in found)
    assert 0 < held < count
    for source in (str(kept.dataset_dir), repo):
        out = tmp_path / source.replace("/", "_")
        result = run_train("--dry-run", "--out", out, "--corrections", source, "--corrections-weight", "3")
        assert result.returncode == 0, result.stderr[-3000:]
        assert f"corrections: {count} from {source}" in result.stdout and f"{count - held} to train on (x3), {held} held out" in result.stdout
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["corrections_held_out"] == held and metrics["corrections_trained"] == count - held
        assert 0 <= metrics["corrections_accuracy"] <= 1
        assert f"accuracy on visitors' corrections: {metrics['corrections_accuracy']:.2%} ({held} held out)" in result.stdout
        card = (out / "README.md").read_text()
        assert f"accuracy on visitors' corrections ({held} held out, never trained on)" in card
        if source == repo:
            assert metrics["corrections_revision"] == hub.commits(f"datasets/{repo}")[0]
    missing = run_train("--dry-run", "--out", tmp_path / "none", "--corrections", str(tmp_path / "nowhere-to-be-found"))
    assert missing.returncode != 0 and "error: --corrections" in missing.stderr


# ----- the page, in a real browser -----

@pytest.mark.browser
@pytest.mark.parametrize("viewport", [(1280, 800), (390, 844)], ids=["laptop", "phone"])
def test_on_the_page_reading_keeps_nothing_and_one_click_keeps_the_drawing(corrections_app, hub, browser, viewport, tmp_path):
    from playwright.sync_api import expect

    page, status = open_page(browser, corrections_app.url, viewport)
    expect(page.locator("#consent")).to_contain_text("no account, no IP address")
    drawings = lambda: sorted(corrections_app.folder.rglob("*.png"))  # noqa: E731
    before = drawings()
    draw_digit(page, 4)
    expect(status).to_contain_text("It's a 4", timeout=15_000)
    time.sleep(1)
    assert drawings() == before  # reading keeps nothing
    digit = "9" if viewport[0] > 600 else "6"
    page.locator("#correct label", has_text=digit).click()
    expect(page.locator("#correction-status")).to_contain_text(f"Thanks: kept as a {digit}.", timeout=15_000)
    expect(page.locator("#correct input:checked")).to_have_count(0)  # ready for the next one
    new = [p for p in drawings() if p not in before]
    assert len(new) == 1
    with Image.open(new[0]) as kept:
        assert kept.mode == "RGBA" and np.asarray(kept)[..., 3].any()  # the sketchpad's layer, with its strokes
    wait_for(lambda: any(line["file_name"] == new[0].name and line["label"] == int(digit)
                         for line in lines(dataset(hub, REPO))), what="the push")
    if os.environ.get("SCREENSHOT_DIR") and viewport[0] > 600:  # the README's
        page.screenshot(path=str(Path(os.environ["SCREENSHOT_DIR"]) / "screenshot-correction.png"))
    if viewport[0] > 600:  # by keyboard: Tab moves from digit to digit, Space sends; arrows send nothing
        page.locator("#correct input").nth(0).focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(1000)
        expect(page.locator("#correction-status")).to_contain_text(f"Thanks: kept as a {digit}.")  # still the click's
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        page.keyboard.press("Space")
        expect(page.locator("#correction-status")).to_contain_text("Thanks: kept as a 2.", timeout=15_000)
    # A cleared canvas has nothing to keep: not the drawing just cleared.
    before = drawings()
    clear(page)
    page.locator("#correct label", has_text="3").click()
    expect(page.locator("#correction-status")).to_contain_text("Draw or upload a digit first", timeout=15_000)
    assert drawings() == before
    # On the upload tab, a correction keeps the picture in view (an example here), not the drawing.
    page.get_by_role("tab", name="Upload a picture").click()
    page.locator("#examples").get_by_role("button").nth(0).click()  # seven_pencil.png
    expect(status).to_contain_text("It's a 7", timeout=15_000)
    before = drawings()
    page.locator("#correct label", has_text="1").click()
    expect(page.locator("#correction-status")).to_contain_text("Thanks: kept as a 1.", timeout=15_000)
    (new,) = [p for p in drawings() if p not in before]
    with Image.open(new) as kept, Image.open(ROOT / "examples" / "seven_pencil.png") as example:
        assert kept.size == example.size
    # An upload that is no image: the control says why nothing was kept (Gradio's bare "Error" before).
    (tmp_path / "notes.png").write_bytes(b"my shopping list, not a picture")
    page.locator("#upload input[type=file]").set_input_files(str(tmp_path / "notes.png"))
    expect(status).to_contain_text("This file is not an image", timeout=15_000)
    before = drawings()
    page.locator("#correct label", has_text="5").click()
    expect(page.locator("#correction-status")).to_contain_text("Not kept: This file is not an image", timeout=15_000)
    assert drawings() == before
    page.close()
