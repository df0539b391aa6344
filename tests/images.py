"""Hostile and unusual image files, built byte by byte where PIL would refuse to write them."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def black_png(width: int, height: int, rows: int | None = None) -> bytes:
    """A greyscale PNG of width x height black pixels, its pixel data streamed (never in memory).

    With `rows`, only that many rows of data follow: the header still claims the full size,
    which is what a decompression bomb or a truncated upload looks like to a decoder.
    """
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    data = bytearray()
    for _ in range(height if rows is None else rows):
        data += compressor.compress(row)
    data += compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", bytes(data)) + _chunk(b"IEND", b"")


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def noise(rng: np.random.Generator, size: int = 200) -> Image.Image:
    return Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8))


# The start of a HEIC file (an iPhone's photos, unless set to "Most Compatible"): an ISO media
# "ftyp" box with the heic brand, which Pillow cannot read.
HEIC = (24).to_bytes(4, "big") + b"ftypheic" + bytes(4) + b"mif1heic" + bytes(2000)
