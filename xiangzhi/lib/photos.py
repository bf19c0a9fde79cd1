"""Photos from phones: checked by content, size-limited, re-encoded as JPEG without EXIF (so no
GPS or device data leaves with them), scaled down, with a thumbnail.

A small file can hold a huge picture (a 10000×10000 PNG of one colour weighs a few hundred KB and
decodes to hundreds of MB), so the width and height are read from the header and checked before any
pixel is decoded; Pillow's own decompression-bomb warning counts as an error too.
"""

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2560
THUMB_SIDE = 320
ALLOWED = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}
MAX_PIXELS = 40_000_000  # well above any phone camera (a 200-megapixel sensor saves 12.5 MP by default)


class PhotoError(ValueError):
    pass


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def _max_pixels() -> int:
    from django.conf import settings  # read when used, like the data key in crypto.py

    return getattr(settings, "PHOTO_MAX_PIXELS", MAX_PIXELS)


def process(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int | None = None) -> ProcessedPhoto:
    if len(data) > max_bytes:
        raise PhotoError(f"照片过大（上限 {max_bytes // 1024 // 1024} MB）")
    if not data:
        raise PhotoError("照片是空文件")
    max_pixels = max_pixels or _max_pixels()
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow warns above this, and refuses above twice this
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return _process(data, max_pixels)


def _process(data: bytes, max_pixels: int) -> ProcessedPhoto:
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            fmt = probe.format
            width, height = probe.size
            if width * height > max_pixels:
                raise PhotoError(
                    f"图片尺寸过大（{width}×{height}），请上传不超过 {max_pixels // 1_000_000} 百万像素的照片"
                )
            probe.verify()
        if fmt not in ALLOWED:
            raise PhotoError(f"不支持的图片格式：{fmt}")
        with Image.open(io.BytesIO(data)) as opened:
            img = ImageOps.exif_transpose(opened)  # keep the picture upright once EXIF is gone
            img = img.convert("RGB")
            img.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            img.save(out, "JPEG", quality=85, optimize=True)  # a fresh file: no EXIF, no GPS
            thumb = img.copy()
            thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
            tout = io.BytesIO()
            thumb.save(tout, "JPEG", quality=80)
            return ProcessedPhoto(out.getvalue(), tout.getvalue(), img.width, img.height)
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(f"图片尺寸过大，请上传不超过 {max_pixels // 1_000_000} 百万像素的照片") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PhotoError("文件不是有效的图片") from None
