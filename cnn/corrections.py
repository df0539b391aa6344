"""Visitors' corrections: a drawing and the digit its author says it is.

Kept on disk first, then pushed to a Hub dataset by huggingface_hub's CommitScheduler, the
documented pattern for Spaces that save data. Nothing here imports Gradio.

Layout of the dataset (and of the local folder that mirrors it), one folder per app instance so
that two replicas never write the same file:

    README.md                               the dataset card (DATASET_CARD)
    data/<instance>/metadata.jsonl          one JSON line per correction (RECORD_FIELDS)
    data/<instance>/<uuid>.png              the drawing as sent, at most MAX_SIDE px a side

train.py --corrections reads it back with load_corrections().
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from huggingface_hub import CommitScheduler, HfApi, get_token, snapshot_download
from PIL import Image

from . import __version__
from .checkpoint import atomic_write, atomic_write_text
from .preprocess import to_mnist
from .serve import open_image

log = logging.getLogger(__name__)

LABELS = tuple("0123456789")
# A sketchpad canvas is 400 px: 512 keeps it as sent and shrinks only big uploads and photos.
MAX_SIDE = 512
# A drawing's PNG is 5-30 KB; one still over this after shrinking is a photo or noise, shrunk again.
MAX_PNG_BYTES = 256 * 1024
RATE_PER_MINUTE = 30  # corrections per browser session (or gradio_client session) per minute
DEFAULT_EVERY_MINUTES = 5.0
METADATA_NAME = "metadata.jsonl"
# What the page says next to the control, and the dataset card repeats: exactly what is kept.
CONSENT = (
    "Clicking a digit sends this drawing and that digit to the dataset {repo}, where they are kept to "
    "train the model. Nothing else is kept: no account, no IP address, no other data."
)
RECORD_FIELDS = {
    "file_name": "the PNG beside this metadata.jsonl: the drawing as the visitor sent it (shrunk to at most "
    f"{MAX_SIDE} px a side)",
    "label": "the digit the visitor said they drew (an integer 0-9)",
    "model_top3": "what the model read at that moment: [{label, confidence}], most likely first",
    "model": "the served weights: {repo, revision} (repo null: the weights shipped with the app)",
    "app_version": "the app's version (cnn.__version__)",
    "timestamp": "when it was sent, UTC, ISO 8601",
}


class CorrectionRefused(ValueError):
    """A correction that is not kept; the message is meant for the visitor."""


NOT_CONFIGURED = "corrections are not turned on for this Space"


def check_label(digit: object) -> str:
    """The digit as "0"-"9", or CorrectionRefused."""
    label = str(digit).strip() if isinstance(digit, (str, int)) and not isinstance(digit, bool) else None
    if label not in LABELS:
        raise CorrectionRefused(f"the digit must be one of 0-9, not {str(digit)[:20]!r}")
    return label


class RateLimit:
    """At most `per_minute` events per key in any 60 s (a sliding window)."""

    def __init__(self, per_minute: int = RATE_PER_MINUTE, clock=time.monotonic) -> None:
        self.per_minute, self.clock = per_minute, clock
        self._events: dict[str, deque] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            if len(self._events) > 10_000:  # forget idle sessions, so the table cannot grow without end
                self._events = {k: q for k, q in self._events.items() if q and now - q[-1] < 60}
            recent = self._events.setdefault(key, deque())
            while recent and now - recent[0] >= 60:
                recent.popleft()
            if len(recent) >= self.per_minute:
                return False
            recent.append(now)
            return True


def png_bytes(image: Image.Image) -> bytes:
    """The drawing as a PNG, shrunk to MAX_SIDE px a side, and further while over MAX_PNG_BYTES."""
    # PNG holds these modes as they are; others (CMYK or YCbCr JPEGs, float TIFFs) become RGBA.
    image = image.copy() if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16") else image.convert("RGBA")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    while True:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
        if buffer.tell() <= MAX_PNG_BYTES or max(image.size) <= 64:
            return buffer.getvalue()
        image = image.resize((max(1, image.width // 2), max(1, image.height // 2)))


def dataset_card(repo_id: str) -> str:
    fields = "\n".join(f"| `{name}` | {meaning} |" for name, meaning in RECORD_FIELDS.items())
    return f"""---
pretty_name: Corrections sent by visitors of a digit recognizer
task_categories:
- image-classification
tags:
- digits
- handwriting
- mnist
---
# Corrections sent by visitors of a digit recognizer

Each row is a drawing of a digit that a visitor of the Space made, with the digit they said it
is, sent by clicking "Wrong? The digit I drew is: ..." under the model's answer. Only what a
person confirmed is stored: nothing is kept for drawings that were not corrected.

What the visitor was told, next to the control:

> {CONSENT.format(repo=repo_id)}

## Layout

Each app instance writes its own folder, so replicas never write the same file:

- `data/<instance>/{METADATA_NAME}`: one JSON line per correction;
- `data/<instance>/<uuid>.png`: the drawing as it was sent (black ink on white or on a transparent layer).

| field | meaning |
|---|---|
{fields}

## Use

Train on it with the model's training script: `python train.py --corrections {repo_id}`
(add `--corrections-revision COMMIT` to pin a version). A fixed fifth of the corrections, chosen
by a hash of the file name, is held out and reported as "accuracy on visitors' corrections".

The drawings were made by the public: check them before reuse. No license has been chosen yet:
the dataset's owner should set one in this card.
"""


class _Scheduler(CommitScheduler):
    """CommitScheduler with two additions, through its documented extension point (push_to_hub):

    - its lock is the store's, so a push never lists a drawing whose JSON line is not written yet;
    - what it pushed is recorded on disk (`ledger`), so after a restart only what was not pushed
      yet is pushed (CommitScheduler itself remembers it in memory only).
    """

    def __init__(self, *, store_lock: threading.Lock, ledger: Path, **kwargs) -> None:
        self._store_lock, self._ledger, self._ledger_read = store_lock, ledger, False
        super().__init__(**kwargs)

    @property
    def lock(self) -> threading.Lock:
        return self._store_lock

    @lock.setter
    def lock(self, value) -> None:  # CommitScheduler.__init__ makes its own; the store's is used instead
        pass

    def push_to_hub(self):
        if not self._ledger_read:
            pushed = json.loads(self._ledger.read_text()) if self._ledger.is_file() else {}
            self.last_uploaded.update({self.folder_path / path: mtime for path, mtime in pushed.items()})
            self._ledger_read = True
        info = super().push_to_hub()
        if info is not None:
            done = {str(path.relative_to(self.folder_path)): mtime for path, mtime in self.last_uploaded.items()}
            atomic_write_text(self._ledger, json.dumps(done, indent=0, sort_keys=True))
            log.info("corrections: pushed to %s (%s)", self.repo_id, info.oid[:12])
        return info


class CorrectionStore:
    """Keeps confirmed corrections in `folder` and pushes them to the dataset `repo_id`.

    A correction is on disk (fsynced) before save() returns; CommitScheduler pushes every
    `every_minutes`. A push that fails is retried at the next one; a Hub that cannot be reached
    when the store starts is tried again every `every_minutes`, and corrections wait on disk.
    """

    def __init__(
        self,
        repo_id: str,
        folder: str | os.PathLike,
        token: str | None,
        every_minutes: float = DEFAULT_EVERY_MINUTES,
        model: dict | None = None,
        instance: str | None = None,
    ) -> None:
        self.repo_id, self.every_minutes = repo_id, float(every_minutes)
        self.folder = Path(folder)
        self.dataset_dir = self.folder / "dataset"  # what is pushed; the ledger lives beside it
        # A new name per process: a restarted app never appends to a file another replica may push.
        self.instance = instance or f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        self.model = model or {"repo": None, "revision": None}
        self.api = HfApi(token=token)
        self.limit = RateLimit()
        self.scheduler: _Scheduler | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        threading.Thread(target=self._connect, name="corrections-connect", daemon=True).start()

    @property
    def url(self) -> str:
        return f"{self.api.endpoint}/datasets/{self.repo_id}"

    def consent(self) -> str:
        return CONSENT.format(repo=self.repo_id)

    def _connect(self) -> None:
        """Create the dataset with its card when missing, then start the scheduler; retried while the Hub is away."""
        while not self._stopped.is_set():
            try:
                self.api.create_repo(self.repo_id, repo_type="dataset", exist_ok=True)
                if not self.api.file_exists(self.repo_id, "README.md", repo_type="dataset"):
                    self.api.upload_file(
                        path_or_fileobj=dataset_card(self.repo_id).encode(),
                        path_in_repo="README.md",
                        repo_id=self.repo_id,
                        repo_type="dataset",
                        commit_message="Dataset card: what is kept, and its schema",
                    )
                self.scheduler = _Scheduler(
                    store_lock=self._lock,
                    ledger=self.folder / "pushed.json",
                    repo_id=self.repo_id,
                    repo_type="dataset",
                    folder_path=self.dataset_dir,
                    every=self.every_minutes,
                    hf_api=self.api,
                    ignore_patterns=["*.tmp", "**/*.tmp"],  # atomic_write's half-written files
                )
                return
            except Exception as err:  # any Hub or network failure: the corrections wait on disk
                log.warning("corrections: %s is not reachable (%s: %s); kept on disk, trying again in %g min",
                            self.repo_id, type(err).__name__, err, self.every_minutes)
                self._stopped.wait(self.every_minutes * 60)

    def save(self, image: Image.Image, digit: object, model_top: dict[str, float] | None, session: str) -> str:
        """Keep one correction; returns its file name. CorrectionRefused says why one is not kept.

        `model_top` is what the model read in `image` (None: no ink, nothing to keep).
        """
        label = check_label(digit)
        if model_top is None:
            raise CorrectionRefused("the drawing is blank: there is nothing to keep")
        if not self.limit.allow(session):
            raise CorrectionRefused(f"too many corrections at once: at most {RATE_PER_MINUTE} a minute")
        png = png_bytes(image)
        name = f"{uuid.uuid4().hex}.png"
        record = {
            "file_name": name,
            "label": int(label),
            "model_top3": [{"label": k, "confidence": round(v, 6)} for k, v in model_top.items()],
            "model": self.model,
            "app_version": __version__,
            "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        folder = self.dataset_dir / "data" / self.instance
        try:
            with self._lock:  # the scheduler's too: a push sees the PNG and its line, or neither
                atomic_write(folder / name, lambda tmp: tmp.write_bytes(png))
                with open(folder / METADATA_NAME, "a", encoding="utf-8") as lines:
                    lines.write(json.dumps(record) + "\n")
                    lines.flush()
                    os.fsync(lines.fileno())
        except OSError as err:  # a full or read-only disk: say so gently, reading digits goes on
            log.error("corrections: could not keep %s in %s: %s", name, folder, err)
            with contextlib.suppress(OSError):  # a PNG without its line would be pushed alone
                (folder / name).unlink(missing_ok=True)
            raise CorrectionRefused("it could not be kept right now (the Space's disk); please try again later") from None
        return name

    def stop(self) -> None:
        """Stop pushing (for tests; corrections on disk are pushed by the next store on this folder)."""
        self._stopped.set()
        if self.scheduler is not None:
            self.scheduler.stop()


def store_from_env(model: dict | None = None) -> CorrectionStore | None:
    """The store the environment asks for: CORRECTIONS_REPO (a dataset repo id), with a write token
    (HF_TOKEN, a Space secret), CORRECTIONS_EVERY_MINUTES (default 5, may be a fraction) and
    CORRECTIONS_DIR (default: /data/corrections on a Space with persistent storage, else ./corrections).
    None, with a log line saying why, when corrections are off."""
    repo = os.environ.get("CORRECTIONS_REPO", "").strip()
    if not repo:
        return None
    token = get_token()
    if not token:
        log.warning("CORRECTIONS_REPO is set but no token is (HF_TOKEN): corrections are off")
        return None
    try:
        every = float(os.environ.get("CORRECTIONS_EVERY_MINUTES") or DEFAULT_EVERY_MINUTES)
        if not every > 0:
            raise ValueError
    except ValueError:
        log.warning("CORRECTIONS_EVERY_MINUTES=%r is not a positive number of minutes: using %g",
                    os.environ.get("CORRECTIONS_EVERY_MINUTES"), DEFAULT_EVERY_MINUTES)
        every = DEFAULT_EVERY_MINUTES
    persistent = Path("/data")
    default = persistent / "corrections" if persistent.is_dir() and os.access(persistent, os.W_OK) else Path("corrections")
    folder = Path(os.environ.get("CORRECTIONS_DIR") or default)
    log.info("corrections: kept in %s, pushed to the dataset %s every %g min", folder, repo, every)
    return CorrectionStore(repo, folder, token, every, model)


# ----- reading them back, for train.py -----

@dataclass(frozen=True)
class Correction:
    file_name: str  # relative to the dataset's root
    label: int
    pixels: np.ndarray  # (28, 28) float32, as the app prepares the drawing for the model

    @property
    def held_out(self) -> bool:
        """A fixed fifth, by a hash of the file name: a correction stays on its side as the dataset grows."""
        return int(hashlib.sha256(self.file_name.encode()).hexdigest()[:8], 16) % 5 == 0


def corrections_folder(source: str, revision: str | None = None) -> tuple[Path, str | None]:
    """A local folder as it is, or a dataset repo id downloaded (at `revision`) with huggingface_hub;
    and the commit it was downloaded at (None for a local folder), to record what was trained on."""
    if Path(source).is_dir():
        return Path(source), None
    commit = HfApi().dataset_info(source, revision=revision).sha
    folder = snapshot_download(source, repo_type="dataset", revision=commit, allow_patterns=["data/**"])
    return Path(folder), commit


def load_corrections(folder: str | os.PathLike) -> tuple[list[Correction], list[str]]:
    """Every readable correction under `folder` (any data/*/metadata.jsonl), and what was skipped, and why."""
    root, found, skipped = Path(folder), [], []
    for metadata in sorted(root.rglob(METADATA_NAME)):
        for number, line in enumerate(metadata.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{metadata.relative_to(root)}:{number}"
            try:
                record = json.loads(line)
                label = int(check_label(record["label"]))
                image_path = metadata.parent / Path(record["file_name"]).name  # never outside its folder
                pixels = to_mnist(open_image(image_path))
            except (ValueError, KeyError, TypeError, OSError) as err:  # BadImage, CorrectionRefused: ValueErrors
                skipped.append(f"{where}: {err}")
                continue
            if pixels is None:
                skipped.append(f"{where}: blank")
                continue
            found.append(Correction(str(image_path.relative_to(root)), label, pixels))
    return found, skipped
