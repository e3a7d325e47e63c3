"""Files people upload: permits and certificates (private) and product photos (public).

Nothing about an upload is trusted: the type comes from the file's first bytes, never from its
name or the browser's content type; images are decoded and re-encoded with Pillow, which drops
EXIF (GPS positions included) and anything smuggled in after the image data.

Every stored path is relative to `UPLOAD_DIR` and POSIX-style, and starts with the area it lives
in: `private/vendors/12/<hex>.pdf` for documents, `public/products/3/<hex>-640.webp` for image
variants. `private_path`, `public_path`, `delete_stored` and `media_url` all take paths in that
same form. Private files are only ever sent by views that check who is asking; public ones are
served by the `media` route with a year-long cache (names are random and never reused).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask import Request, abort, current_app, send_file, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from PIL import Image, ImageOps
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from storefront.auth.access import public
from storefront.database import after_commit
from storefront.errors import DomainError
from storefront.i18n import english

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
DEFAULT_IMAGE_WIDTHS = (320, 640, 1200)
WEBP_QUALITY = 80
JPEG_QUALITY = 90
WEBP_MAX_SIDE = 16383  # the format cannot hold more than this on either side
FILE_MODE = 0o640
DIR_MODE = 0o750
MEDIA_CACHE_CONTROL = "public, max-age=31536000, immutable"

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"

DOCUMENT_TYPES = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
IMAGE_TYPES = (JPEG, PNG, WEBP)
_PILLOW_FORMAT = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
# What the media route will hand out; anything else under public/ is a 404.
_SERVED_TYPES = {".webp": WEBP, ".jpg": JPEG, ".png": PNG}

_FOLDER = re.compile(r"[a-z0-9_-]+(?:/[a-z0-9_-]+)*")
_IMAGE_KEY_NAME = re.compile(r"[0-9a-f]{32}")

MSG_DOCUMENT_TYPE = _l("Upload a PDF, JPEG or PNG file.")
MSG_IMAGE_TYPE = _l("Upload a JPEG, PNG or WebP image.")
MSG_EMPTY = _l("The file is empty.")
MSG_UNREADABLE = _l("The file could not be read as an image.")
MSG_TOO_MANY_PIXELS = _l("This image is too large to process.")


class UploadRejected(DomainError, ValueError):
    """The upload cannot be accepted. `.message` is for the person; `str()` is English."""

    def __init__(self, message) -> None:
        self.message = message
        ValueError.__init__(self, english(message))


def _too_big(limit: int, name: str = "", size: int = 0) -> UploadRejected:
    mb = max(1, limit // (1024 * 1024))
    if name:
        return UploadRejected(
            _l(
                "%(name)s is %(size)s MB; files up to %(mb)d MB are accepted. Make it smaller "
                "(a photo of a page is enough) and choose it again; what you typed is kept.",
                name=name,
                size=f"{size / (1024 * 1024):.1f}".replace(".", ","),
                mb=mb,
            )
        )
    return UploadRejected(
        _l("The file is larger than %(mb)d MB. Make it smaller and try again.", mb=mb)
    )


# --- forms that carry files -------------------------------------------------------------------
# MAX_CONTENT_LENGTH (16 MB) refuses a bigger request before any view runs, with an error page:
# whatever the person typed into the form is lost with it. Forms that take files accept larger
# requests from signed-in people (UPLOAD_FORM_MAX_BYTES, 64 MB; Werkzeug spools files to disk),
# so a 20 MB scan reaches the view, which refuses the file by name beside its field and shows
# the form again as it was typed.


def upload_form(view: Callable) -> Callable:
    """Mark a view whose form carries files (see above)."""
    view.upload_form = True
    return view


class UploadAwareRequest(Request):
    """Flask's request, with the larger body limit for upload forms of signed-in people."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return super().max_content_length
        view = current_app.view_functions.get(self.endpoint or "")
        if getattr(view, "upload_form", False) and current_user.is_authenticated:
            return current_app.config["UPLOAD_FORM_MAX_BYTES"]
        return current_app.config["MAX_CONTENT_LENGTH"]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to UPLOAD_DIR, e.g. "private/vendors/12/<hex>.pdf"
    mime: str
    size: int
    sha256: str
    original_name: str


@dataclass(frozen=True)
class StoredImage:
    key: str  # "public/<folder>/<hex>"; variant files are "<key>-<width>.webp"
    widths: tuple[int, ...]
    width: int  # of the largest variant
    height: int

    def path_for(self, width: int) -> str:
        if width not in self.widths:
            raise ValueError(f"no {width}px variant of {self.key}; have {self.widths}")
        return f"{self.key}-{width}.webp"

    def srcset(self, url_for_path: Callable[[str], str]) -> str:
        """For <img srcset>: `image.srcset(media_url)`."""
        return ", ".join(f"{url_for_path(self.path_for(w))} {w}w" for w in self.widths)


# --- sniffing and reading ---------------------------------------------------------------------


def sniff(data: bytes) -> str | None:
    """The type of `data` from its magic bytes, or None if it is not one we accept."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def _max_bytes() -> int:
    return int(current_app.config.get("UPLOAD_MAX_BYTES", MAX_UPLOAD_BYTES))


def upload_max_bytes() -> int:
    """The largest file accepted (for the page to say so before sending)."""
    return _max_bytes()


def _max_pixels() -> int:
    return int(current_app.config.get("UPLOAD_MAX_PIXELS", MAX_IMAGE_PIXELS))


def _read(file: FileStorage) -> bytes:
    """The whole upload, refusing it as soon as it passes the size cap."""
    limit = _max_bytes()
    stream = file.stream
    with contextlib.suppress(AttributeError, OSError, ValueError):
        stream.seek(0)  # a form validator may have peeked at it already
    data = stream.read(limit + 1)
    if not data:
        raise UploadRejected(MSG_EMPTY)
    if len(data) > limit:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.seek(0, os.SEEK_END)
        size = max(len(data), _position(stream))
        raise _too_big(limit, file.filename or "", size)
    return data


def check_size(file: FileStorage) -> None:
    """Refuse an upload over the size cap (UploadRejected) while the form is validated, so the
    person sees it with the form's other errors, not only once they are all fixed."""
    if file is None or not getattr(file, "stream", None):
        return
    stream = file.stream
    try:  # the size from the end of the spooled upload, without reading it a second time
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
    except (AttributeError, OSError, ValueError):
        _read(file)  # not seekable: read up to the cap, as saving does
        return
    if size == 0:
        raise UploadRejected(MSG_EMPTY)
    limit = _max_bytes()
    if size > limit:
        raise _too_big(limit, file.filename or "", size)


def _position(stream) -> int:
    try:
        return stream.tell()
    except (AttributeError, OSError, ValueError):
        return 0


def _original_name(file: FileStorage) -> str:
    return secure_filename(file.filename or "") or "file"


# --- images -----------------------------------------------------------------------------------


def _decode(data: bytes, mime: str, *, draft_to: int | None = None) -> Image.Image:
    """Decode an image we sniffed as `mime`, upright, with no metadata attached.

    Decompression bombs are refused before any pixel data is decoded: our own pixel limit from
    the header, and Pillow's own warning (as an error) and error as a second line.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[mime]])
            width, height = image.size
            if width < 1 or height < 1:
                raise UploadRejected(MSG_UNREADABLE)
            if width * height > _max_pixels():
                raise UploadRejected(MSG_TOO_MANY_PIXELS)
            if draft_to and mime == JPEG:
                # Decode big JPEGs at a reduced scale that is still at least `draft_to` wide.
                image.draft("RGB", (draft_to, draft_to))
            image.load()
            upright = ImageOps.exif_transpose(image)
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning, MemoryError) as exc:
        raise UploadRejected(MSG_TOO_MANY_PIXELS) from exc
    except Exception as exc:  # Pillow fails on hostile input in many ways; all mean "unreadable"
        raise UploadRejected(MSG_UNREADABLE) from exc
    # No EXIF, XMP, ICC profile, comments or text chunks travel further. Transparency is part
    # of the picture (palette and greyscale PNGs keep it here), so it stays.
    upright.info = {k: v for k, v in upright.info.items() if k == "transparency"}
    return upright


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info


def _flatten(image: Image.Image) -> Image.Image:
    """RGB with no metadata, any transparency laid on white."""
    try:
        if _has_alpha(image):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
        else:
            flat = image.convert("RGB")
    except (OSError, ValueError) as exc:  # an exotic mode Pillow cannot turn into RGB
        raise UploadRejected(MSG_UNREADABLE) from exc
    flat.info = {}
    return flat


def _reencode_document_image(data: bytes, mime: str) -> bytes:
    image = _decode(data, mime)
    out = io.BytesIO()
    if mime == JPEG:
        if image.mode not in {"RGB", "L"}:
            image = _flatten(image)
        image.save(out, "JPEG", quality=JPEG_QUALITY)
    else:
        if _has_alpha(image) or image.mode not in {"1", "L", "P", "RGB"}:
            image = _flatten(image)
        image.save(out, "PNG")
    return out.getvalue()


# --- storage ----------------------------------------------------------------------------------


def _root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _check_folder(folder: str) -> str:
    if not isinstance(folder, str) or ".." in folder or not _FOLDER.fullmatch(folder):
        raise ValueError(f"upload folder must look like 'vendors/12', got {folder!r}")
    return folder


def _write(relative: str, data: bytes) -> None:
    """Write `data` to UPLOAD_DIR/relative, mode 0o640, appearing only once complete."""
    target = _root() / relative
    target.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    temporary = target.with_name(f".{uuid.uuid4().hex}.part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), FILE_MODE)  # whatever the umask says
            f.write(data)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def save_document(file: FileStorage, *, folder: str) -> StoredFile:
    """Store a permit or certificate (PDF, JPEG or PNG) under private/<folder>/."""
    _check_folder(folder)
    data = _read(file)
    mime = sniff(data)
    if mime not in DOCUMENT_TYPES:
        raise UploadRejected(MSG_DOCUMENT_TYPE)
    if mime != PDF:
        data = _reencode_document_image(data, mime)
    relative = f"private/{folder}/{uuid.uuid4().hex}.{DOCUMENT_TYPES[mime]}"
    _write(relative, data)
    return StoredFile(
        path=relative,
        mime=mime,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=_original_name(file),
    )


def save_image(
    file: FileStorage, *, folder: str, sizes: tuple[int, ...] = DEFAULT_IMAGE_WIDTHS
) -> StoredImage:
    """Store a public photo as one WebP per width in `sizes` under public/<folder>/.

    Never upscales: widths above the original's collapse into one variant at its own width.
    """
    _check_folder(folder)
    if not sizes or any(not isinstance(w, int) or w < 1 for w in sizes):
        raise ValueError(f"sizes must be positive whole widths, got {sizes!r}")
    data = _read(file)
    mime = sniff(data)
    if mime not in IMAGE_TYPES:
        raise UploadRejected(MSG_IMAGE_TYPE)
    image = _flatten(_decode(data, mime, draft_to=max(sizes)))

    full_width, full_height = image.size
    widths = tuple(sorted({min(w, full_width) for w in sizes}))
    heights = {w: max(1, round(full_height * w / full_width)) for w in widths}
    if max(heights.values()) > WEBP_MAX_SIDE or widths[-1] > WEBP_MAX_SIDE:
        raise UploadRejected(MSG_TOO_MANY_PIXELS)

    key = f"public/{folder}/{uuid.uuid4().hex}"
    written: list[str] = []
    try:
        for width in widths:
            if width == full_width:
                variant = image
            else:
                variant = image.resize(
                    (width, heights[width]), Image.Resampling.LANCZOS, reducing_gap=3.0
                )
            out = io.BytesIO()
            variant.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
            relative = f"{key}-{width}.webp"
            _write(relative, out.getvalue())
            written.append(relative)
    except BaseException:
        for relative in written:
            (_root() / relative).unlink(missing_ok=True)
        raise
    return StoredImage(key=key, widths=widths, width=widths[-1], height=heights[widths[-1]])


# --- finding and removing stored files --------------------------------------------------------


def _safe_parts(relative: str) -> tuple[str, ...] | None:
    """The path's parts if it is a plain relative POSIX path, else None."""
    if not isinstance(relative, str) or not relative or "\x00" in relative or "\\" in relative:
        return None
    if relative.startswith("/"):
        return None
    parts = relative.split("/")
    if any(part in {"", ".", ".."} for part in parts):
        return None
    return tuple(PurePosixPath(relative).parts)


def _resolve_in(area: str, relative: str) -> Path | None:
    """UPLOAD_DIR/relative, if it stays inside UPLOAD_DIR/area (symlinks followed), else None."""
    parts = _safe_parts(relative)
    if parts is None or parts[0] != area or len(parts) < 2:
        return None
    area_root = (_root() / area).resolve()
    target = (_root() / relative).resolve()
    if not target.is_relative_to(area_root) or target == area_root:
        return None
    return target


def private_path(relative: str) -> Path:
    """The file for a stored private path ("private/..."); FileNotFoundError if not one."""
    target = _resolve_in("private", relative)
    if target is None or not target.is_file():
        raise FileNotFoundError(relative)
    return target


def public_path(relative: str) -> Path:
    """The file for a stored public path ("public/..."); FileNotFoundError if not one."""
    target = _resolve_in("public", relative)
    if target is None or not target.is_file():
        raise FileNotFoundError(relative)
    return target


def delete_stored(path_or_key: str) -> None:
    """Remove a stored file, or every variant of an image key. Missing files are fine."""
    target = _resolve_in("private", path_or_key) or _resolve_in("public", path_or_key)
    if target is None:
        raise ValueError(f"not a stored upload path: {path_or_key!r}")
    if target.is_file():
        target.unlink(missing_ok=True)
        return
    if not _IMAGE_KEY_NAME.fullmatch(target.name) or not target.parent.is_dir():
        return
    variant = re.compile(re.escape(target.name) + r"-\d+\.webp")
    for candidate in target.parent.iterdir():
        if variant.fullmatch(candidate.name):
            candidate.unlink(missing_ok=True)


def delete_after_commit(path_or_key: str | None) -> None:
    """`delete_stored` once the action that stopped using the file has committed: an action
    that rolls back keeps its row, so it keeps its file too."""
    if path_or_key:
        after_commit(lambda: delete_stored(path_or_key))


# --- serving public files ---------------------------------------------------------------------


def media_url(relative: str) -> str:
    """URL of a stored public file ("public/..."), e.g. for `StoredImage.srcset(media_url)`."""
    return url_for("media", relative=relative)


def register_media_route(app) -> None:
    """GET /media/<relative>: files under UPLOAD_DIR/public only, cached for a year."""
    if "media" in app.view_functions:
        return

    @app.route("/media/<path:relative>", endpoint="media", methods=["GET"])
    @public
    def media(relative: str):
        try:
            path = public_path(relative)
        except FileNotFoundError:
            abort(404)
        mimetype = _SERVED_TYPES.get(path.suffix.lower())
        if mimetype is None:
            abort(404)
        response = send_file(path, mimetype=mimetype, max_age=31536000)
        response.headers["Cache-Control"] = MEDIA_CACHE_CONTROL
        return response
