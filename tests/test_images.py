"""Safe image loading: caps, corrupt files, EXIF orientation, every mode to RGB over white."""

import io

import pytest
from PIL import Image

from svemath.errors import ImageLoadError
from svemath.images import fit_within, load_image, pad_to_square


def _png_bytes(img: Image.Image, fmt: str = "PNG", **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def test_missing_file_names_path(tmp_path):
    with pytest.raises(ImageLoadError, match="not found"):
        load_image(tmp_path / "nope.png")


def test_not_an_image(tmp_path):
    p = tmp_path / "x.png"
    p.write_bytes(b"this is not an image at all")
    with pytest.raises(ImageLoadError, match=r"x\.png"):
        load_image(p)


def test_empty_file(tmp_path):
    p = tmp_path / "empty.png"
    p.write_bytes(b"")
    with pytest.raises(ImageLoadError, match="empty"):
        load_image(p)


def test_truncated_png_is_an_error(tmp_path):
    img = Image.effect_noise((64, 64), 50).convert("RGB")
    data = _png_bytes(img)
    p = tmp_path / "trunc.png"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError, match="trunc"):
        load_image(p)


def test_truncated_jpeg_is_an_error():
    img = Image.effect_noise((128, 128), 80).convert("RGB")
    data = _png_bytes(img, "JPEG", quality=90)
    with pytest.raises(ImageLoadError):
        load_image(data[: len(data) // 2])


def test_pixel_cap_refuses_before_decoding():
    # a 1-bit 20000x20000 PNG compresses to a few KB: a classic decompression bomb
    data = _png_bytes(Image.new("1", (20000, 20000)))
    assert len(data) < 200_000
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(data, max_pixels=10_000_000)


def test_byte_cap():
    data = _png_bytes(Image.new("RGB", (32, 32)))
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(data, max_bytes=10)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "L", "1", "CMYK", "I;16", "I", "F", "P", "YCbCr"])
def test_every_mode_becomes_rgb(mode):
    img = Image.new("RGB", (8, 6), (200, 30, 40)).convert(mode)
    out = load_image(img)
    assert out.mode == "RGB" and out.size == (8, 6)


def test_transparency_is_composited_over_white():
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    img.putpixel((0, 0), (255, 0, 0, 255))
    out = load_image(_png_bytes(img))
    assert out.getpixel((1, 1)) == (255, 255, 255)
    assert out.getpixel((0, 0)) == (255, 0, 0)


def test_palette_with_transparency():
    img = Image.new("P", (4, 4), 0)
    img.putpalette([0, 0, 0, 10, 200, 10] + [0] * 762)
    img.putpixel((0, 0), 1)
    img.info["transparency"] = 0
    out = load_image(_png_bytes(img, transparency=0))
    assert out.getpixel((3, 3)) == (255, 255, 255)
    assert out.getpixel((0, 0)) == (10, 200, 10)


def test_i16_is_rescaled_to_full_range():
    img = Image.new("I;16", (2, 1))
    img.putpixel((0, 0), 1000)
    img.putpixel((1, 0), 3000)
    out = load_image(_png_bytes(img))
    assert out.getpixel((0, 0)) == (0, 0, 0)
    assert out.getpixel((1, 0)) == (255, 255, 255)


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    out = load_image(_png_bytes(img, "JPEG", exif=exif.tobytes()))
    assert out.size == (20, 40)


def test_path_and_file_object(tmp_path):
    p = tmp_path / "a.png"
    Image.new("L", (5, 7), 128).save(p)
    assert load_image(p).size == (5, 7)
    with open(p, "rb") as fh:
        assert load_image(fh).mode == "RGB"


def test_fit_and_pad():
    img = Image.new("RGB", (400, 100), (0, 0, 0))
    small = fit_within(img, 200)
    assert small.size == (200, 50)
    assert fit_within(small, 1000) is small
    sq = pad_to_square(small, (255, 255, 255))
    assert sq.size == (200, 200)
    assert sq.getpixel((0, 0)) == (255, 255, 255) and sq.getpixel((100, 100)) == (0, 0, 0)
