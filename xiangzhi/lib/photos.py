"""Photos from phones: checked by content, size-limited, re-encoded as JPEG without EXIF (so no
GPS or device data leaves with them), scaled down, with a thumbnail."""

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_SIDE = 2560
THUMB_SIDE = 320
ALLOWED = {"JPEG", "PNG", "WEBP", "GIF", "BMP"}
Image.MAX_IMAGE_PIXELS = 60_000_000  # a decompression-bomb guard well above any phone camera


class PhotoError(ValueError):
    pass


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes
    thumbnail: bytes
    width: int
    height: int


def process(data: bytes, *, max_bytes: int = MAX_BYTES) -> ProcessedPhoto:
    if len(data) > max_bytes:
        raise PhotoError(f"照片过大（上限 {max_bytes // 1024 // 1024} MB）")
    if not data:
        raise PhotoError("照片是空文件")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in ALLOWED:
            raise PhotoError(f"不支持的图片格式：{fmt}")
        with Image.open(io.BytesIO(data)) as img:
            img = ImageOps.exif_transpose(img)  # keep the picture upright once EXIF is gone
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
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoError("文件不是有效的图片") from None
