"""QR images of permit texts: render PNG and SVG, and decode camera frames.

Rendering uses ``qrcode`` at error correction M with the standard quiet zone of four
modules. A ``BP1:`` text is base45, whose every character is in the QR alphanumeric
set, so the whole text goes into one alphanumeric segment (5.5 bits a character rather
than 8 in byte mode): that is why the credential is base45. Other text falls back to
the densest mode that holds it (byte mode for UTF-8).

Decoding takes untrusted image bytes (PNG or JPEG, from a camera or an upload), opens
them with Pillow only after checking their size in bytes, refuses images with more
pixels than the cap before decoding any pixel data, and reads QR codes with
``zxing-cpp``. Anything wrong raises :class:`QrImageError` with a reason code.
Pillow's own decompression-bomb guard (the process-wide ``MAX_IMAGE_PIXELS``) is left
as it is: our cap is per call and lower, and its error is mapped to ``too_large``
(between its warning and error thresholds Pillow also emits a
``DecompressionBombWarning`` before our cap refuses the image).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import qrcode
import zxingcpp
from PIL import Image, UnidentifiedImageError
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, MODE_NUMBER, QRData

from protocol.errors import ProtocolError

QUIET_ZONE = 4
"""Modules of light margin around the symbol, as ISO/IEC 18004 requires."""
DEFAULT_MODULE_PX = 8
MAX_IMAGE_BYTES = 8 * 1024 * 1024
"""Largest image file accepted by :func:`decode_image` unless told otherwise."""
MAX_IMAGE_PIXELS = 16_000_000
"""Most pixels accepted (a 12-megapixel phone photo fits; a bomb does not)."""
IMAGE_FORMATS = ("PNG", "JPEG")
_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
_MODE_NAMES = {MODE_NUMBER: "numeric", MODE_ALPHA_NUM: "alphanumeric", MODE_8BIT_BYTE: "byte"}


class QrReason(StrEnum):
    NOT_AN_IMAGE = "not_an_image"
    """Not a PNG or JPEG, or a broken one."""
    TOO_LARGE = "too_large"
    """More bytes or more pixels than the caps."""
    NO_QR_FOUND = "no_qr_found"
    """A good image with no readable QR code in it."""


class QrImageError(ProtocolError):
    """An image could not be decoded into QR texts; ``reason`` is a :class:`QrReason`."""


@dataclass(frozen=True, slots=True)
class QrSymbol:
    """A QR code laid out: its version, the mode of its single data segment, and the
    module matrix including the quiet zone (True is a dark module)."""

    text: str
    version: int
    mode: str
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules across, quiet zone included."""
        return len(self.modules)


@lru_cache(maxsize=256)
def qr_symbol(text: str) -> QrSymbol:
    """Lay ``text`` out as the smallest QR code at error correction M. Cached: laying
    out takes tens of milliseconds (eight mask patterns tried in Python), and a permit's
    card shows the same code as SVG and PNG."""
    data = QRData(text.encode("utf-8"))  # one segment, in the densest mode for all of it
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    matrix = tuple(tuple(bool(m) for m in row) for row in code.get_matrix())
    return QrSymbol(text, int(code.version), _MODE_NAMES[data.mode], matrix)


def render_png(text: str, *, module_px: int = DEFAULT_MODULE_PX) -> bytes:
    """A black-on-white PNG of ``text``'s QR code, ``module_px`` pixels a module."""
    symbol = qr_symbol(text)
    _check_module_px(module_px)
    image = Image.new("1", (symbol.size, symbol.size), 1)
    image.putdata([0 if dark else 1 for row in symbol.modules for dark in row])
    scaled = image.resize((symbol.size * module_px,) * 2, Image.Resampling.NEAREST)
    out = io.BytesIO()
    scaled.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render_svg(text: str, *, module_px: int = DEFAULT_MODULE_PX) -> str:
    """An SVG element of ``text``'s QR code, ready to inline in HTML or save as a file:
    a white square (the quiet zone included) and one path with a rectangle one module
    high for each horizontal run of dark modules, in a viewBox of modules scaled to
    ``module_px`` pixels a module."""
    symbol = qr_symbol(text)
    _check_module_px(module_px)
    n = symbol.size
    runs = "".join(
        f"M{x} {y}h{length}v1h-{length}z"
        for y, row in enumerate(symbol.modules)
        for x, length in _dark_runs(row)
    )
    side = n * module_px
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" '
        f'viewBox="0 0 {n} {n}" shape-rendering="crispEdges" role="img" '
        f'aria-label="QR code">'
        f'<rect width="{n}" height="{n}" fill="#fff"/>'
        f'<path fill="#000" d="{runs}"/></svg>'
    )


def _dark_runs(row: tuple[bool, ...]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    runs: list[tuple[int, int]] = []
    start = None
    for x, dark in enumerate((*row, False)):
        if dark and start is None:
            start = x
        elif not dark and start is not None:
            runs.append((start, x - start))
            start = None
    return runs


def _check_module_px(module_px: int) -> None:
    if not 1 <= module_px <= 64:
        raise ValueError("module_px must be 1-64 pixels")


def decode_image(
    data: bytes,
    *,
    max_bytes: int = MAX_IMAGE_BYTES,
    max_pixels: int = MAX_IMAGE_PIXELS,
) -> tuple[str, ...]:
    """The texts of every QR code in a PNG or JPEG image, in the order found.

    Raise :class:`QrImageError`: ``too_large`` past ``max_bytes`` or ``max_pixels``,
    ``not_an_image`` for anything Pillow cannot read as PNG or JPEG, ``no_qr_found``
    when the image holds no readable QR code.
    """
    image = _open_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    found = zxingcpp.read_barcodes(image, formats=_QR_ONLY)
    texts = tuple(barcode.text for barcode in found if barcode.valid)
    if not texts:
        raise QrImageError(QrReason.NO_QR_FOUND, "no readable QR code in the image")
    return texts


def _open_image(data: bytes, *, max_bytes: int, max_pixels: int) -> Image.Image:
    """Check the caps, then decode the pixels as 8-bit grey."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise QrImageError(QrReason.NOT_AN_IMAGE, "image must be bytes")
    if len(data) > max_bytes:
        raise QrImageError(QrReason.TOO_LARGE, f"{len(data)} bytes, limit {max_bytes}")
    try:
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except Image.DecompressionBombError as exc:
        raise QrImageError(QrReason.TOO_LARGE, "image has too many pixels") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise QrImageError(QrReason.NOT_AN_IMAGE, "not a PNG or JPEG image") from exc
    width, height = image.size
    if width * height > max_pixels:
        raise QrImageError(QrReason.TOO_LARGE, f"{width}x{height} pixels, limit {max_pixels}")
    try:
        if image.format == "JPEG":
            image.draft("L", image.size)  # decode straight to grey: cheaper for frames
        image.load()
        return image.convert("L")
    except Exception as exc:  # truncated or corrupt pixel data: Pillow raises many types
        raise QrImageError(QrReason.NOT_AN_IMAGE, f"broken image: {type(exc).__name__}") from exc
