"""Image files made on the fly for upload tests."""

from __future__ import annotations

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(
    image_format: str = "PNG",
    size: tuple[int, int] = (1024, 768),
    mode: str = "RGB",
    **save_options: object,
) -> bytes:
    colour: tuple[int, ...] = (200, 80, 40, 128) if mode == "RGBA" else (200, 80, 40)
    image = Image.new(mode, size, colour)
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **save_options)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels: a decompression-bomb shape."""
    real = image_bytes("PNG", (1, 1))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    # Signature (8 bytes), then the original IHDR chunk (25 bytes) is swapped for ours.
    return real[:8] + ihdr + real[33:]
