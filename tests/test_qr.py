"""QR images: render permits as PNG and SVG, decode them back with zxing-cpp, and
refuse bad images with the documented reasons."""

from __future__ import annotations

import io
import re
import struct
import xml.etree.ElementTree as ET
import zlib
from datetime import timedelta

import pytest
from factories import TODAY, Issuer, make_worker, scan
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from borderpass import qr
from borderpass.qr import QrImageError, QrReason
from protocol.credential import decode_permit
from protocol.errors import ProtocolError

SVG_NS = "{http://www.w3.org/2000/svg}"

PERMITS = {
    "vietnamese-jiangping": {
        "worker": make_worker(name="Nguyễn Thị Hoa", name_zh="阮氏花"),
        "zones": ("dongxing", "dongxing/jiangping"),
    },
    "vietnamese-no-chinese-name": {
        "worker": make_worker(name="Trần Văn Đức", name_zh=None, border_pass_no="MC-778812"),
        "permit_id": "P-2026-000417",
        "zones": ("dongxing", "dongxing/kec"),
    },
    "chinese-name-fangchenggang": {
        "worker": make_worker(name="Lê Thị Ngọc Ánh", name_zh="黎氏玉映", sex="F"),
        "employer_id": "EMP-GK-042",
        "zones": ("dongxing", "fangchenggang", "fangchenggang/gangkou-park"),
        "single_exit": False,
    },
    "many-zones-long-names": {
        "worker": make_worker(
            name="Phạm Nguyễn Hoàng Thị Bích Ngọc Khuê Trường Sơn", name_zh="范阮黄氏碧玉奎长山"
        ),
        "zones": (
            "dongxing",
            "dongxing/border-trade-centre",
            "dongxing/kec",
            "dongxing/chonglan",
            "fangchenggang/fangcheng-park",
        ),
        "valid_until": TODAY + timedelta(days=150),
    },
}


def png_pixels(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("L")


def rasterise_svg(svg: str, px: int = 6) -> Image.Image:
    """Draw the SVG the way a browser would, for this subset of SVG: the white rect
    and the path of axis-aligned rectangles. Refuse anything else in the document."""
    root = ET.fromstring(svg)  # noqa: S314 (our own output, not untrusted input)
    assert root.tag == f"{SVG_NS}svg"
    x0, y0, width, height = (int(v) for v in root.attrib["viewBox"].split())
    assert (x0, y0) == (0, 0)
    assert width == height
    rect, path = list(root)
    assert rect.tag == f"{SVG_NS}rect"
    assert rect.attrib["fill"] == "#fff"
    assert (int(rect.attrib["width"]), int(rect.attrib["height"])) == (width, height)
    assert path.tag == f"{SVG_NS}path"
    assert path.attrib["fill"] == "#000"
    d = path.attrib["d"]
    rect_re = re.compile(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z")
    assert rect_re.sub("", d) == "", "path holds something other than runs"
    image = Image.new("L", (width * px, height * px), 255)
    pixels = image.load()
    for m in rect_re.finditer(d):
        x, y, length, back = (int(g) for g in m.groups())
        assert length == back
        for yy in range(y * px, (y + 1) * px):
            for xx in range(x * px, (x + length) * px):
                pixels[xx, yy] = 0
    return image


def image_bytes(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


@pytest.mark.parametrize("case", sorted(PERMITS))
def test_png_decodes_to_a_permit_that_verifies(issuer: Issuer, case: str) -> None:
    text = issuer.issue(**PERMITS[case])
    png = qr.render_png(text)
    assert qr.decode_image(png) == (text,)
    verdict = scan(issuer, text, "dongxing-port", "in")
    assert verdict.outcome == "allow", verdict.reasons
    assert verdict.permit == decode_permit(text).permit
    assert verdict.permit is not None
    assert verdict.permit.worker == PERMITS[case]["worker"]


@pytest.mark.parametrize("case", sorted(PERMITS))
def test_svg_rasterised_decodes_to_the_same_text(issuer: Issuer, case: str) -> None:
    text = issuer.issue(**PERMITS[case])
    svg = qr.render_svg(text)
    image = rasterise_svg(svg)
    assert qr.decode_image(image_bytes(image, "PNG")) == (text,)
    assert scan(issuer, text, "dongxing-port", "in").outcome == "allow"


def test_svg_and_png_draw_the_same_modules(issuer: Issuer) -> None:
    text = issuer.issue()
    symbol = qr.qr_symbol(text)
    svg_image = rasterise_svg(qr.render_svg(text, module_px=5), px=1)
    png_image = png_pixels(qr.render_png(text, module_px=1))
    expected = bytes(0 if dark else 255 for row in symbol.modules for dark in row)
    assert svg_image.tobytes() == expected
    assert png_image.tobytes() == expected


def test_base45_text_is_one_alphanumeric_segment_in_a_small_code(issuer: Issuer) -> None:
    text = issuer.issue()
    symbol = qr.qr_symbol(text)
    assert symbol.mode == "alphanumeric"
    assert symbol.version <= 10
    # byte mode would need a larger code for the same text
    assert qr.qr_symbol(text.lower()).mode == "byte"
    assert qr.qr_symbol(text.lower()).version > symbol.version


def test_other_text_falls_back_to_byte_mode() -> None:
    assert qr.qr_symbol("https://hub.example/p/1").mode == "byte"
    assert qr.decode_image(qr.render_png("阮氏花 Nguyễn")) == ("阮氏花 Nguyễn",)


@pytest.mark.parametrize("module_px", [2, 5, 12])
def test_module_size_and_quiet_zone(issuer: Issuer, module_px: int) -> None:
    text = issuer.issue()
    symbol = qr.qr_symbol(text)
    image = png_pixels(qr.render_png(text, module_px=module_px))
    assert image.size == (symbol.size * module_px,) * 2
    assert symbol.size == 17 + 4 * symbol.version + 2 * qr.QUIET_ZONE
    margin = qr.QUIET_ZONE * module_px
    side = image.size[0]
    for box in [(0, 0, side, margin), (0, side - margin, side, side)]:
        assert image.crop(box).getextrema() == (255, 255)
    for box in [(0, 0, margin, side), (side - margin, 0, side, side)]:
        assert image.crop(box).getextrema() == (255, 255)
    # the finder pattern starts right after the quiet zone
    assert image.getpixel((margin, margin)) == 0
    assert image.getpixel((margin - 1, margin)) == 255
    assert qr.decode_image(image_bytes(image, "PNG")) == (text,)
    svg = ET.fromstring(qr.render_svg(text, module_px=module_px))  # noqa: S314
    assert svg.attrib["width"] == svg.attrib["height"] == str(symbol.size * module_px)


def test_module_size_out_of_range_is_refused(issuer: Issuer) -> None:
    with pytest.raises(ValueError, match="module_px"):
        qr.render_png(issuer.issue(), module_px=0)
    with pytest.raises(ValueError, match="module_px"):
        qr.render_svg(issuer.issue(), module_px=65)


def test_camera_like_jpeg_decodes(issuer: Issuer) -> None:
    """A lossy, scaled, slightly rotated photo on a grey background still reads."""
    text = issuer.issue()
    code = png_pixels(qr.render_png(text, module_px=4)).rotate(
        7, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR
    )
    frame = Image.new("RGB", (960, 720), (120, 130, 125))
    frame.paste(code.convert("RGB"), (200, 60))
    assert qr.decode_image(image_bytes(frame, "JPEG", quality=60)) == (text,)


def test_two_codes_in_one_frame(issuer: Issuer) -> None:
    first = issuer.issue()
    second = issuer.issue(permit_id="P-2026-000002", worker=make_worker(border_pass_no="B2"))
    a = png_pixels(qr.render_png(first, module_px=3))
    b = png_pixels(qr.render_png(second, module_px=3))
    frame = Image.new("L", (a.size[0] + b.size[0] + 40, max(a.size[1], b.size[1])), 255)
    frame.paste(a, (0, 0))
    frame.paste(b, (a.size[0] + 40, 0))
    assert sorted(qr.decode_image(image_bytes(frame, "PNG"))) == sorted([first, second])


def png_with_size(width: int, height: int, rows: int) -> bytes:
    """A PNG of 1-bit pixels whose header says width x height; ``rows`` rows of
    zeros follow (a decompression bomb when the header is huge and rows are many)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def refused(data: object, **caps: int) -> QrImageError:
    with pytest.raises(QrImageError) as info:
        qr.decode_image(data, **caps)  # type: ignore[arg-type]
    assert isinstance(info.value, ProtocolError)
    return info.value


def test_bad_images_get_reasons(issuer: Issuer) -> None:
    png = qr.render_png(issuer.issue())
    assert refused(b"").reason == QrReason.NOT_AN_IMAGE
    assert refused(b"BP1:NOT-AN-IMAGE").reason == QrReason.NOT_AN_IMAGE
    assert refused("a string").reason == QrReason.NOT_AN_IMAGE
    assert refused(png[: len(png) // 2]).reason == QrReason.NOT_AN_IMAGE
    gif = image_bytes(png_pixels(png), "GIF")
    assert refused(gif).reason == QrReason.NOT_AN_IMAGE
    assert refused(png, max_bytes=len(png) - 1).reason == QrReason.TOO_LARGE
    blank = image_bytes(Image.new("L", (300, 300), 255), "PNG")
    assert refused(blank).reason == QrReason.NO_QR_FOUND
    assert refused(image_bytes(Image.new("RGB", (64, 64)), "JPEG")).reason == "no_qr_found"


def test_too_many_pixels_refused_before_decoding() -> None:
    # 5000 x 5000 = 25 megapixels, over the 16 M cap; the file is a few kilobytes
    data = png_with_size(5000, 5000, 5000)
    assert len(data) < 64 * 1024
    error = refused(data)
    assert error.reason == QrReason.TOO_LARGE
    assert "5000x5000" in error.detail
    assert refused(qr.render_png("x"), max_pixels=100).reason == QrReason.TOO_LARGE


def test_decompression_bomb_refused_without_touching_global_state() -> None:
    before = Image.MAX_IMAGE_PIXELS
    # 20000 x 20000 = 400 megapixels: past Pillow's own hard limit as well as ours
    bomb = png_with_size(20_000, 20_000, 2_000)
    assert refused(bomb, max_pixels=10**12).reason == QrReason.TOO_LARGE
    assert refused(bomb).reason == QrReason.TOO_LARGE
    assert before == Image.MAX_IMAGE_PIXELS


def png_with_text_bomb() -> bytes:
    """A small valid PNG with a compressed text chunk that inflates to 50 MB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    good = qr.render_png("x")
    ztxt = chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(bytes(50_000_000), 9))
    return good[:33] + ztxt + good[33:]  # after the signature and IHDR


def test_text_chunk_bomb_is_refused() -> None:
    data = png_with_text_bomb()
    assert len(data) < 100_000
    assert refused(data).reason in {QrReason.NOT_AN_IMAGE, QrReason.TOO_LARGE}


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b""]),
    st.binary(max_size=2000),
)
def test_fuzz_any_bytes_give_only_the_documented_error(magic: bytes, rest: bytes) -> None:
    try:
        texts = qr.decode_image(magic + rest)
    except QrImageError as exc:
        assert exc.reason in set(QrReason)
    else:
        assert all(isinstance(t, str) for t in texts)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_fuzz_damaged_images_give_only_the_documented_error(data: st.DataObject) -> None:
    image = data.draw(st.sampled_from(DAMAGE_SOURCES))
    damaged = bytearray(image)
    for _ in range(data.draw(st.integers(1, 8))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(damaged)))
    try:
        qr.decode_image(bytes(damaged[:cut]))
    except QrImageError as exc:
        assert exc.reason in set(QrReason)


DAMAGE_SOURCES = [
    qr.render_png("BP1:DAMAGE", module_px=2),
    image_bytes(png_pixels(qr.render_png("BP1:DAMAGE", module_px=2)), "JPEG", quality=80),
]
