import io

import pytest
from PIL import Image, ImageFile

from xiangzhi.lib.photos import PhotoError, process


def png(size, mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG", optimize=True)
    return out.getvalue()


class Decoded(Exception):
    pass


def forbid_decoding(monkeypatch):
    """From here on, any attempt to decode pixels fails the test: a refusal must come from the header alone."""

    def refuse(self, *args, **kwargs):
        raise Decoded(f"{self.size} decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)
    monkeypatch.setattr(Image.Image, "load", refuse)


def test_a_10000_by_10000_png_of_a_few_hundred_kb_is_refused_without_being_decoded(monkeypatch):
    bomb = png((10_000, 10_000), mode="1")
    assert len(bomb) < 1024 * 1024
    forbid_decoding(monkeypatch)
    with pytest.raises(PhotoError, match="图片尺寸过大"):
        process(bomb)


def test_the_pixel_limit_comes_from_settings(settings):
    settings.PHOTO_MAX_PIXELS = 1_000_000
    assert process(png((1000, 1000))).width == 1000
    with pytest.raises(PhotoError, match="不超过 1 百万像素"):
        process(png((1001, 1000)))


def test_pillows_decompression_bomb_warning_is_an_error(settings, monkeypatch):
    # Just above the limit Pillow only warns (it refuses at twice the limit); that warning must stop it.
    settings.PHOTO_MAX_PIXELS = 1_000_000
    data = png((1100, 1000), mode="1")
    forbid_decoding(monkeypatch)
    with pytest.raises(PhotoError, match="图片尺寸过大"):
        process(data)


def test_an_ordinary_photo_is_still_reencoded_without_exif():
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), (120, 160, 90)).save(out, "JPEG")
    photo = process(out.getvalue())
    assert (photo.width, photo.height) == (2560, 1920)
    assert Image.open(io.BytesIO(photo.image)).getexif() == {}
