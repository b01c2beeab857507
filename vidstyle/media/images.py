"""Still images: EXIF orientation, colour profiles, alpha and 16-bit inputs in; the alpha channel and the photo's
descriptive EXIF (when and where it was taken, the camera) are kept on the way out."""

from __future__ import annotations

import functools
import io
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from vidstyle.core.errors import UserError

log = logging.getLogger("vidstyle")

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".ppm", ".heic", ".heif", ".avif"}
HEIF_SUFFIXES = {".heic", ".heif"}  # iPhones' photos: read and written through pillow-heif
ALPHA_FORMATS = {".png", ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif"}
EXIF_FORMATS = {"JPEG", "PNG", "WEBP", "TIFF", "HEIF", "AVIF"}  # Pillow's names of the formats it writes EXIF into
QUALITY = {"JPEG": 95, "WEBP": 95, "HEIF": 90, "AVIF": 90}  # lossy formats: near the source's detail


def is_image(path: Path) -> bool:
    """A still, by its name; an animated WebP is a clip, a folder (an image sequence named like a file) neither."""
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.is_dir() and not is_animation(path)


def is_animation(path: Path) -> bool:
    """An animated GIF or WebP (more than one frame): a clip."""
    if path.suffix.lower() not in (".gif", ".webp"):
        return False
    try:
        with Image.open(path) as img:
            return bool(getattr(img, "is_animated", False))
    except OSError:  # absent or unreadable: said where it is read; a damaged animated WebP, by its header
        return path.suffix.lower() == ".webp" and _webp_animation_flag(path)


def _webp_animation_flag(path: Path) -> bool:
    """Whether a WebP's extended header (VP8X) says it is animated: read where Pillow cannot open the file (a
    truncated one), so that it is said to be a damaged animation rather than a still."""
    try:
        with open(path, "rb") as f:
            head = f.read(21)
    except OSError:
        return False
    return head[:4] == b"RIFF" and head[8:16] == b"WEBPVP8X" and len(head) == 21 and bool(head[20] & 0x02)


@functools.cache
def _with_heif() -> None:
    """Pillow reads and writes HEIF once pillow-heif registers it (28 ms: only for HEIF files). It turns the
    pixels upright itself and leaves the EXIF orientation at 1, so nothing is turned twice."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def resize_short_side(rgb: np.ndarray, size: int) -> np.ndarray:
    """`rgb` with its shorter side `size` px (area filter down, bicubic up); 0 or the same size: as is."""
    import cv2

    h, w = rgb.shape[:2]
    if not size or min(h, w) == size:
        return rgb
    scale = size / min(h, w)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interp)


def resize_to_long_side(rgb: np.ndarray, size: float, floor: int = 16) -> np.ndarray:
    """`rgb` with its longer side `size` px, neither side below `floor` (a network's smallest input)."""
    import cv2

    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    th, tw = (max(floor, round(d * scale)) for d in (h, w))
    if (th, tw) == (h, w):
        return rgb
    return cv2.resize(rgb, (tw, th), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


@dataclass
class Still:
    rgb: np.ndarray  # HxWx3 uint8, upright
    alpha: np.ndarray | None  # HxW uint8, or None when the image is opaque
    exif: bytes | None = None  # the EXIF an output of it carries (_kept_exif)


# EXIF kept on a stylized photo: what photo libraries sort, map and credit it by. Not its orientation (the pixels
# are turned upright), sizes (the output's may differ), thumbnail (of the unstylized photo) or camera settings.
_KEPT_TAGS = (270, 271, 272, 306, 315, 33432)  # description, make, model, date, artist, copyright
_KEPT_EXIF_TAGS = (36867, 36868, 36880, 36881, 36882, 37520, 37521, 37522)  # dates taken, their zones, sub-seconds
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825


def _kept_exif(img: Image.Image) -> bytes | None:
    try:
        with warnings.catch_warnings():  # Pillow warns of corrupt EXIF on stderr, and reads what it can
            warnings.simplefilter("ignore")
            return _exif_to_keep(img)
    except Exception as exc:  # noqa: BLE001 - EXIF written by odd tools breaks in many ways; the picture is fine
        log.warning("%s: its EXIF cannot be read (%s); the output carries none", img.filename or "photo", exc)
        return None


def _exif_to_keep(img: Image.Image) -> bytes | None:
    source = img.getexif()
    kept = Image.Exif()
    for tag in _KEPT_TAGS:
        if tag in source:
            kept[tag] = source[tag]
    taken = {tag: value for tag, value in source.get_ifd(_EXIF_IFD).items() if tag in _KEPT_EXIF_TAGS}
    if taken:
        kept[_EXIF_IFD] = taken
    if gps := source.get_ifd(_GPS_IFD):
        kept[_GPS_IFD] = dict(gps)
    return kept.tobytes() if len(kept) else None


def load_image(path: Path, keep_exif: bool = False) -> Still:
    """The still, upright and in sRGB; with `keep_exif`, the EXIF its stylized output carries (photos, not
    styles or training data)."""
    if not path.exists():
        raise UserError("file not found", path)
    if path.suffix.lower() in HEIF_SUFFIXES:
        _with_heif()
    try:
        with Image.open(path) as img:
            exif = _kept_exif(img) if keep_exif else None
            img = ImageOps.exif_transpose(img)
            still = _to_still(_to_srgb(img, path))
            still.exif = exif
            return still
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # Pillow's own words where they say what is wrong ("image file is truncated"), not where they name the path
        why = str(exc) if type(exc) is OSError and str(exc) else exc.__class__.__name__
        raise UserError(f"not a readable image ({why})", path) from None


_SRGB = ImageCms.createProfile("sRGB")


def _to_srgb(img: Image.Image, path: Path) -> Image.Image:
    """`img` in sRGB, where its embedded colour profile says it is in another space (a phone's Display P3, a
    camera's Adobe RGB, a CMYK print file). Everything is stylized and written in sRGB, which untagged outputs
    are taken to be: a P3 photo's pixels read as they are came out duller ((200, 120, 60) in P3 is (214, 116, 38)
    in sRGB). The alpha plane is set aside for the conversion and put back."""
    icc = img.info.get("icc_profile")
    if not icc and isinstance(img.info.get("nclx_profile"), dict) and img.mode in ("RGB", "RGBA"):
        return _nclx_to_srgb(img, img.info["nclx_profile"])
    if not icc or img.mode not in ("RGB", "RGBA", "CMYK"):
        return img
    alpha = img.getchannel("A") if img.mode == "RGBA" else None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower():
            return img
        rgb = ImageCms.profileToProfile(img.convert("RGB") if alpha is not None else img, source, _SRGB,
                                        outputMode="RGB")
    except (ImageCms.PyCMSError, OSError) as exc:  # a broken profile: the pixels are still a picture
        log.warning("%s: its colour profile cannot be read (%s); its pixels are taken as sRGB", path, exc)
        return img
    if alpha is not None:
        rgb.putalpha(alpha)
    return rgb


_SRGB_PRIMARIES = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)  # red, green, blue, white (x, y)


def _rgb_to_xyz(xy: tuple[float, ...]) -> np.ndarray:
    """The RGB -> XYZ matrix of primaries and a white point given by their chromaticities."""
    cols = np.array([[x / y, 1.0, (1 - x - y) / y] for x, y in zip(xy[0:6:2], xy[1:6:2])]).T
    wx, wy = xy[6], xy[7]
    scale = np.linalg.solve(cols, [wx / wy, 1.0, (1 - wx - wy) / wy])
    return cols * scale


def _nclx_to_srgb(img: Image.Image, nclx: dict) -> Image.Image:
    """A HEIF photo whose colour is given by primaries (nclx), not an ICC profile: Android phones' Display P3.
    Converted in linear light; only with the sRGB curve (13), which such photos use, and other primaries than
    sRGB's (1)."""
    if nclx.get("color_primaries") in (None, 1, 2) or nclx.get("transfer_characteristics") != 13:
        return img
    keys = ("red", "green", "blue", "white")
    try:
        xy = tuple(float(nclx[f"color_primary_{k}_{a}"]) for k in keys for a in "xy")
    except KeyError:
        return img
    matrix = np.linalg.solve(_rgb_to_xyz(_SRGB_PRIMARIES), _rgb_to_xyz(xy)).astype(np.float32)
    rgb = np.asarray(img.convert("RGB"), np.float32) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    out = np.clip(linear @ matrix.T, 0, 1)
    out = np.where(out <= 0.0031308, out * 12.92, 1.055 * out ** (1 / 2.4) - 0.055)
    srgb = Image.fromarray(np.round(out * 255).astype(np.uint8))
    if img.mode == "RGBA":
        srgb.putalpha(img.getchannel("A"))
    return srgb


def _to_still(img: Image.Image) -> Still:
    alpha = None
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # 16-bit, 32-bit and float greyscale: scaled to 8 bits rather than clipped at 255 (or, float in [0, 1],
        # read as black) by Pillow's conversion.
        arr = np.asarray(img, dtype=np.float32)
        peak = 65535.0 if arr.max() > 255 else 255.0 if arr.max() > 1 or img.mode != "F" else 1.0
        grey = np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Still(np.repeat(grey[..., None], 3, axis=2), None)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        alpha = np.asarray(img)[..., 3].copy()
        if alpha.min() == 255:
            alpha = None
    rgb = np.ascontiguousarray(np.asarray(img.convert("RGB")))
    return Still(rgb, alpha)


def image_format(path: Path) -> str:
    """Pillow's name for the format `path`'s extension asks for; one line for one it cannot write."""
    if path.suffix.lower() in HEIF_SUFFIXES:
        _with_heif()
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None or fmt not in Image.SAVE:
        raise UserError(f"unknown image format {path.suffix.lower()!r}; use .png, .jpg, .webp, .tif, .heic or "
                        ".avif", path)
    return fmt


def save_image(path: Path, rgb: np.ndarray, alpha: np.ndarray | None = None, fmt_hint: Path | None = None,
               exif: bytes | None = None) -> None:
    """Save `rgb` (with `alpha` and `exif` where the format holds them). `fmt_hint` names the format when `path` is
    temporary."""
    suffix = (fmt_hint or path).suffix.lower()
    img = Image.fromarray(rgb)
    if alpha is not None and suffix in ALPHA_FORMATS:
        if alpha.shape != rgb.shape[:2]:
            alpha = np.asarray(Image.fromarray(alpha).resize((rgb.shape[1], rgb.shape[0]), Image.BILINEAR))
        img.putalpha(Image.fromarray(alpha))
    fmt = image_format(fmt_hint or path)
    params: dict[str, object] = {"quality": QUALITY[fmt]} if fmt in QUALITY else {}
    if exif and fmt in EXIF_FORMATS:
        params["exif"] = exif
    img.save(path, format=fmt, **params)
