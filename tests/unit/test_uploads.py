"""Uploads: type by content, size and pixel caps, metadata stripped, safe paths."""

from __future__ import annotations

import hashlib
import io
import re
import stat
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import ExifTags, Image, ImageCms
from werkzeug.datastructures import FileStorage

from storefront import uploads
from storefront.uploads import (
    MAX_UPLOAD_BYTES,
    StoredImage,
    UploadRejected,
    delete_stored,
    private_path,
    public_path,
    save_document,
    save_image,
    sniff,
)

FAKE_PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
MZ = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
APPENDED = b"PK\x03\x04<?php system($_GET['c']); ?>"
RED = (255, 0, 0)
BLUE = (0, 0, 255)
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def upload(data: bytes, filename: str = "upload", content_type: str = "application/pdf"):
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def image_bytes(fmt: str, size=(40, 20), mode="RGB", color=RED, **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def two_colour_jpeg_with_exif() -> tuple[bytes, bytes]:
    """40x20, red left half, blue right; EXIF says 'rotate 90° clockwise' and where it was."""
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "SpyCamMaker"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "S",
        ExifTags.GPS.GPSLatitude: (6.0, 10.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (106.0, 37.0, 50.0),
    }
    raw = exif.tobytes()
    out = io.BytesIO()
    image.save(out, "JPEG", exif=raw, icc_profile=ICC, quality=95)
    return out.getvalue(), raw


def header_only_png(width: int, height: int) -> bytes:
    """A few hundred bytes that declare a `width` x `height` picture: a decompression bomb."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def files_on_disk(app) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def on_disk(app, relative: str) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / relative


# --- sniff ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (FAKE_PDF, "application/pdf"),
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("PNG"), "image/png"),
        (image_bytes("WEBP"), "image/webp"),
        (ELF, None),
        (MZ, None),
        (image_bytes("GIF"), None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"<html><script>alert(1)</script>", None),
        (b" %PDF-1.4", None),
        (b"RIFF", None),
        (b"", None),
    ],
    ids=["pdf", "jpeg", "png", "webp", "elf", "mz", "gif", "wav", "html", "late-pdf", "riff", "0"],
)
def test_sniff_goes_by_magic_bytes_only(data, expected):
    assert sniff(data) == expected


# --- documents --------------------------------------------------------------------------------


def test_pdf_is_stored_privately_byte_for_byte(app, ctx):
    stored = save_document(upload(FAKE_PDF, "Izin Usaha (PIRT).pdf"), folder="vendors/12")

    assert re.fullmatch(r"private/vendors/12/[0-9a-f]{32}\.pdf", stored.path)
    assert stored.mime == "application/pdf"
    assert stored.size == len(FAKE_PDF)
    assert stored.sha256 == hashlib.sha256(FAKE_PDF).hexdigest()
    assert stored.original_name == "Izin_Usaha_PIRT.pdf"
    path = on_disk(app, stored.path)
    assert path.read_bytes() == FAKE_PDF
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert files_on_disk(app) == [path]


def test_same_document_twice_gets_two_names(app, ctx):
    first = save_document(upload(FAKE_PDF), folder="vendors/1")
    second = save_document(upload(FAKE_PDF), folder="vendors/1")
    assert first.path != second.path
    assert first.sha256 == second.sha256
    assert len(files_on_disk(app)) == 2


def test_a_half_read_stream_is_read_from_the_start(app, ctx):
    file = upload(FAKE_PDF)
    file.stream.read(10)
    stored = save_document(file, folder="vendors/1")
    assert on_disk(app, stored.path).read_bytes() == FAKE_PDF


@pytest.mark.parametrize(
    ("name", "expected"),
    [("../../etc/passwd", "etc_passwd"), ("", "file"), ("???", "file"), (None, "file")],
)
def test_original_name_is_sanitised(app, ctx, name, expected):
    stored = save_document(upload(FAKE_PDF, name), folder="vendors/1")
    assert stored.original_name == expected
    assert ".." not in stored.path


@pytest.mark.parametrize("payload", [ELF, MZ], ids=["elf", "mz"])
def test_executable_renamed_pdf_is_refused(app, ctx, payload):
    with pytest.raises(UploadRejected) as caught:
        save_document(upload(payload, "izin.pdf", "application/pdf"), folder="vendors/12")
    assert str(caught.value) == "Upload a PDF, JPEG or PNG file."
    assert files_on_disk(app) == []


def test_documents_do_not_take_webp(app, ctx):
    with pytest.raises(UploadRejected, match="PDF, JPEG or PNG"):
        save_document(upload(image_bytes("WEBP"), "izin.webp"), folder="vendors/12")
    assert files_on_disk(app) == []


def test_empty_file_is_refused(app, ctx):
    with pytest.raises(UploadRejected) as caught:
        save_document(upload(b"", "izin.pdf"), folder="vendors/12")
    assert str(caught.value) == "The file is empty."
    assert files_on_disk(app) == []


def test_size_cap_comes_from_config(app, ctx):
    app.config["UPLOAD_MAX_BYTES"] = 2 * 1024 * 1024
    at_cap = FAKE_PDF + b"\n" * (2 * 1024 * 1024 - len(FAKE_PDF))
    assert save_document(upload(at_cap), folder="vendors/1").size == 2 * 1024 * 1024
    before = files_on_disk(app)

    with pytest.raises(UploadRejected) as caught:
        save_document(upload(at_cap + b"\n"), folder="vendors/1")
    # The message names the file and its size, since the form around it is kept.
    assert "is 2,0 MB; files up to 2 MB are accepted" in str(caught.value)
    assert files_on_disk(app) == before


def test_default_size_cap_is_five_megabytes(app, ctx):
    assert MAX_UPLOAD_BYTES == 5 * 1024 * 1024
    app.config.pop("UPLOAD_MAX_BYTES", None)
    too_big = FAKE_PDF + b"\n" * (MAX_UPLOAD_BYTES + 1 - len(FAKE_PDF))
    with pytest.raises(UploadRejected, match="files up to 5 MB are accepted"):
        save_document(upload(too_big), folder="vendors/1")
    assert files_on_disk(app) == []


def test_message_is_lazy_and_str_is_english(app):
    with app.test_request_context("/"), force_locale("id"):
        with pytest.raises(UploadRejected) as caught:
            save_document(upload(b""), folder="vendors/1")
        assert str(caught.value) == "The file is empty."
        assert caught.value.message._args == ("The file is empty.",)
        assert isinstance(caught.value, ValueError)


def test_jpeg_document_loses_exif_gps_and_appended_data(app, ctx):
    jpeg, _ = two_colour_jpeg_with_exif()
    stored = save_document(upload(jpeg + APPENDED, "ktp.jpg", "image/jpeg"), folder="vendors/3")

    assert re.fullmatch(r"private/vendors/3/[0-9a-f]{32}\.jpg", stored.path)
    assert stored.mime == "image/jpeg"
    data = on_disk(app, stored.path).read_bytes()
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert b"SpyCamMaker" not in data
    assert b"system(" not in data
    assert data.endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (20, 40)  # turned upright, since the orientation tag is gone
        assert len(image.getexif()) == 0
        assert not set(image.info) & {"exif", "icc_profile", "xmp"}
    assert stat.S_IMODE(on_disk(app, stored.path).stat().st_mode) == 0o640


def test_png_document_loses_appended_data_and_text_chunks(app, ctx):
    from PIL.PngImagePlugin import PngInfo

    meta = PngInfo()
    meta.add_text("Comment", "secret-note")
    png = image_bytes("PNG", pnginfo=meta, icc_profile=ICC)
    stored = save_document(upload(png + APPENDED, "izin.png", "image/png"), folder="vendors/3")

    data = on_disk(app, stored.path).read_bytes()
    assert stored.path.endswith(".png")
    assert stored.mime == "image/png"
    assert b"secret-note" not in data
    assert b"system(" not in data
    assert data.endswith(b"IEND\xaeB`\x82")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (40, 20)
        assert image.getpixel((0, 0)) == RED
        assert "icc_profile" not in image.info


def test_broken_image_with_right_magic_bytes_is_refused(app, ctx):
    fake_png = b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10
    with pytest.raises(UploadRejected) as caught:
        save_document(upload(fake_png, "izin.png"), folder="vendors/3")
    assert str(caught.value) == "The file could not be read as an image."
    assert files_on_disk(app) == []


def test_truncated_jpeg_is_refused(app, ctx):
    jpeg = image_bytes("JPEG", size=(200, 200))
    with pytest.raises(UploadRejected, match="could not be read"):
        save_image(upload(jpeg[: len(jpeg) // 2]), folder="products/1")
    assert files_on_disk(app) == []


@pytest.mark.parametrize(
    "folder",
    ["../etc", "vendors/../..", "Vendors/1", "/vendors/1", "vendors//1", "a/./b", "", "a\\b"],
)
def test_folder_must_be_a_plain_lowercase_path(app, ctx, folder):
    with pytest.raises(ValueError, match="folder"):
        save_document(upload(FAKE_PDF), folder=folder)
    with pytest.raises(ValueError, match="folder"):
        save_image(upload(image_bytes("PNG")), folder=folder)
    assert files_on_disk(app) == []


# --- images -----------------------------------------------------------------------------------


def variant(app, image: StoredImage, width: int) -> Image.Image:
    data = on_disk(app, image.path_for(width)).read_bytes()
    return Image.open(io.BytesIO(data))


def test_photo_becomes_webp_variants_of_each_width(app, ctx):
    jpeg = image_bytes("JPEG", size=(2000, 1000))
    stored = save_image(upload(jpeg, "sambal.jpg", "image/jpeg"), folder="products/7")

    assert re.fullmatch(r"public/products/7/[0-9a-f]{32}", stored.key)
    assert stored.widths == (320, 640, 1200)
    assert (stored.width, stored.height) == (1200, 600)
    for width in stored.widths:
        assert stored.path_for(width) == f"{stored.key}-{width}.webp"
        path = on_disk(app, stored.path_for(width))
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        with variant(app, stored, width) as image:
            assert image.format == "WEBP"
            assert image.size == (width, width // 2)
    assert len(files_on_disk(app)) == 3


def test_small_photo_is_never_upscaled(app, ctx):
    stored = save_image(upload(image_bytes("PNG", size=(500, 250))), folder="products/7")
    assert stored.widths == (320, 500)
    assert (stored.width, stored.height) == (500, 250)
    with variant(app, stored, 500) as image:
        assert image.size == (500, 250)
    assert len(files_on_disk(app)) == 2


def test_custom_sizes_keep_aspect_ratio(app, ctx):
    stored = save_image(
        upload(image_bytes("PNG", size=(300, 900))), folder="vendors/2", sizes=(100, 150)
    )
    assert stored.widths == (100, 150)
    assert (stored.width, stored.height) == (150, 450)
    with variant(app, stored, 100) as image:
        assert image.size == (100, 300)


def test_bad_sizes_are_a_programming_error(app, ctx):
    with pytest.raises(ValueError, match="sizes"):
        save_image(upload(image_bytes("PNG")), folder="products/1", sizes=())
    with pytest.raises(ValueError, match="sizes"):
        save_image(upload(image_bytes("PNG")), folder="products/1", sizes=(0, 320))


def test_photo_is_turned_upright_and_loses_exif_and_gps(app, ctx):
    jpeg, raw_exif = two_colour_jpeg_with_exif()
    with Image.open(io.BytesIO(jpeg)) as original:  # the test image really carries all this
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert original.info["icc_profile"] == ICC
    stored = save_image(upload(jpeg + APPENDED, "foto.jpg"), folder="products/7")

    assert stored.widths == (20,)
    assert (stored.width, stored.height) == (20, 40)
    data = on_disk(app, stored.path_for(20)).read_bytes()
    assert b"SpyCamMaker" not in data
    assert raw_exif[:40] not in data
    assert b"system(" not in data
    assert b"EXIF" not in data
    assert b"ICCP" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert len(image.getexif()) == 0
        assert not set(image.info) & {"exif", "icc_profile", "xmp"}
        rgb = image.convert("RGB")
        top, bottom = rgb.getpixel((10, 5)), rgb.getpixel((10, 35))
    # The red left half is on top once turned 90° clockwise.
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


def test_transparent_png_is_flattened_on_white(app, ctx):
    image = Image.new("RGBA", (40, 20), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (20, 0, 40, 20))
    out = io.BytesIO()
    image.save(out, "PNG")
    stored = save_image(upload(out.getvalue()), folder="products/7")

    with variant(app, stored, 40) as result:
        assert result.mode == "RGB"
        left, right = result.getpixel((5, 10)), result.getpixel((35, 10))
    assert all(channel > 245 for channel in left)  # was transparent black, now white
    assert right[0] > 240 and right[1] < 20


def test_palette_png_with_transparent_index_is_flattened_on_white(app, ctx):
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 0, 0, 0, 128, 0] + [0] * 762)
    image.paste(1, (10, 0, 20, 20))
    out = io.BytesIO()
    image.save(out, "PNG", transparency=0)
    stored = save_image(upload(out.getvalue()), folder="products/7")

    with variant(app, stored, 20) as result:
        transparent, green = result.getpixel((2, 10)), result.getpixel((15, 10))
    assert all(channel > 245 for channel in transparent)
    assert green[1] > 100 and green[0] < 30


def test_webp_photo_is_accepted(app, ctx):
    stored = save_image(upload(image_bytes("WEBP", size=(700, 350))), folder="products/7")
    assert stored.widths == (320, 640, 700)
    assert len(files_on_disk(app)) == 3


@pytest.mark.parametrize(
    "data",
    [FAKE_PDF, MZ, ELF, image_bytes("GIF"), b"<svg onload=alert(1)>"],
    ids=["pdf", "mz", "elf", "gif", "svg"],
)
def test_photos_must_be_jpeg_png_or_webp_by_content(app, ctx, data):
    with pytest.raises(UploadRejected) as caught:
        save_image(upload(data, "foto.jpg", "image/jpeg"), folder="products/7")
    assert str(caught.value) == "Upload a JPEG, PNG or WebP image."
    assert files_on_disk(app) == []


def test_photo_size_cap_applies(app, ctx):
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024
    noisy = Image.effect_noise((1200, 1200), 100).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "PNG")
    assert len(out.getvalue()) > 1024 * 1024
    with pytest.raises(UploadRejected, match="files up to 1 MB are accepted"):
        save_image(upload(out.getvalue()), folder="products/7")
    assert files_on_disk(app) == []


@pytest.mark.parametrize(
    ("width", "height", "limit"),
    [
        (8_000, 8_000, None),  # 64 MP: over our 40 MP default
        (10_000, 10_000, 10**12),  # 100 MP: Pillow's warning, made an error
        (20_000, 20_000, 10**12),  # 400 MP: Pillow's own error
    ],
    ids=["own-limit", "pillow-warning", "pillow-error"],
)
def test_decompression_bombs_are_refused(app, ctx, width, height, limit):
    if limit is not None:
        app.config["UPLOAD_MAX_PIXELS"] = limit
    bomb = header_only_png(width, height)
    assert len(bomb) < 200
    # Outside pytest, Pillow's bomb warning is just printed: the module must not rely on
    # pytest turning warnings into errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        for save in (save_image, save_document):
            with pytest.raises(UploadRejected) as caught:
                save(upload(bomb, "foto.png"), folder="products/7")
            assert str(caught.value) == "This image is too large to process."
    assert files_on_disk(app) == []


def test_pixel_limit_comes_from_config(app, ctx):
    app.config["UPLOAD_MAX_PIXELS"] = 5_000
    with pytest.raises(UploadRejected, match="too large to process"):
        save_image(upload(image_bytes("JPEG", size=(100, 100))), folder="products/7")
    assert files_on_disk(app) == []
    assert save_image(upload(image_bytes("JPEG", size=(50, 100))), folder="products/7")


def test_extreme_aspect_ratio_is_refused_not_crashed(app, ctx):
    tall = image_bytes("PNG", size=(2, 20_000))
    with pytest.raises(UploadRejected, match="too large to process"):
        save_image(upload(tall), folder="products/7", sizes=(320,))
    assert files_on_disk(app) == []


def test_no_variant_is_left_behind_when_writing_fails(app, ctx, monkeypatch):
    real_write = uploads._write
    calls = []

    def failing_write(relative, data):
        calls.append(relative)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(relative, data)

    monkeypatch.setattr(uploads, "_write", failing_write)
    with pytest.raises(OSError, match="disk full"):
        save_image(upload(image_bytes("PNG", size=(1000, 500))), folder="products/7")
    assert len(calls) == 2
    assert files_on_disk(app) == []


def test_srcset_lists_every_variant(app, ctx):
    stored = StoredImage(key="public/products/1/abc", widths=(320, 640), width=640, height=480)
    assert stored.srcset(lambda p: "/m/" + p) == (
        "/m/public/products/1/abc-320.webp 320w, /m/public/products/1/abc-640.webp 640w"
    )
    with pytest.raises(ValueError, match="no 1200px variant"):
        stored.path_for(1200)


# --- paths and deletion -----------------------------------------------------------------------


def test_private_path_finds_a_stored_document(app, ctx):
    stored = save_document(upload(FAKE_PDF), folder="vendors/12")
    path = private_path(stored.path)
    assert path == on_disk(app, stored.path).resolve()
    assert path.read_bytes() == FAKE_PDF


def test_public_path_finds_a_stored_variant(app, ctx):
    stored = save_image(upload(image_bytes("PNG")), folder="products/1")
    assert public_path(stored.path_for(40)) == on_disk(app, stored.path_for(40)).resolve()


def test_private_and_public_paths_do_not_cross(app, ctx):
    document = save_document(upload(FAKE_PDF), folder="vendors/12")
    photo = save_image(upload(image_bytes("PNG")), folder="products/1")
    with pytest.raises(FileNotFoundError):
        public_path(document.path)
    with pytest.raises(FileNotFoundError):
        private_path(photo.path_for(40))


@pytest.mark.parametrize(
    "relative",
    [
        "private/../public/x.webp",
        "private/vendors/12/../../../secret_key",
        "../private/x.pdf",
        "/etc/passwd",
        "private//etc/passwd",
        "private/./x.pdf",
        "private\\..\\x.pdf",
        "private/x.pdf\x00.png",
        "private",
        "private/",
        "",
        "private/vendors/12/missing.pdf",
        "vendors/12/x.pdf",
    ],
)
def test_private_path_refuses_traversal_and_missing(app, ctx, relative):
    save_document(upload(FAKE_PDF), folder="vendors/12")
    with pytest.raises(FileNotFoundError):
        private_path(relative)


def test_private_path_refuses_a_symlink_out(app, ctx, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("not yours")
    folder = on_disk(app, "private/vendors/1")
    folder.mkdir(parents=True)
    (folder / "link.pdf").symlink_to(outside)
    with pytest.raises(FileNotFoundError):
        private_path("private/vendors/1/link.pdf")


def test_delete_stored_removes_a_document(app, ctx):
    stored = save_document(upload(FAKE_PDF), folder="vendors/12")
    delete_stored(stored.path)
    assert files_on_disk(app) == []
    delete_stored(stored.path)  # already gone: fine


def test_delete_stored_removes_every_variant_of_one_image_only(app, ctx):
    first = save_image(upload(image_bytes("PNG", size=(700, 350))), folder="products/7")
    second = save_image(upload(image_bytes("PNG", size=(700, 350))), folder="products/7")
    delete_stored(first.key)
    remaining = files_on_disk(app)
    assert remaining == sorted(on_disk(app, second.path_for(w)) for w in second.widths)
    delete_stored(first.key)  # nothing left: fine


@pytest.mark.parametrize("bad", ["../outside", "private/../../x", "/etc/hostname", "other/x", ""])
def test_delete_stored_refuses_paths_outside_the_upload_areas(app, ctx, tmp_path, bad):
    victim = tmp_path / "outside"
    victim.write_text("keep me")
    with pytest.raises(ValueError, match="not a stored upload path"):
        delete_stored(bad)
    assert victim.exists()
