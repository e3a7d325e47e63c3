"""The marketing kit: share images, poster, captions and share links for a product or a vendor,
made on demand, kept on disk and made again when what they show changes."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from storefront.catalog.models import PermitKind, ProductPermit, ProductPhoto
from storefront.extensions import db
from storefront.marketing import captions as kit_captions
from storefront.marketing import kit
from storefront.uploads import save_image
from tests.conftest import Client
from tests.factories import PASSWORD, ProductFactory
from tests.integration.order_helpers import manager
from tests.security.account_helpers import make_vendor

BASE = "http://localhost"  # PUBLIC_BASE_URL under TESTING


def photo_of_a_jar() -> bytes:
    image = Image.new("RGB", (900, 700), (254, 243, 199))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 430, 900, 700), fill=(180, 83, 9))
    draw.rounded_rectangle((330, 140, 570, 560), radius=40, fill=(157, 23, 77))
    draw.rectangle((350, 100, 550, 160), fill=(60, 60, 60))
    draw.rounded_rectangle((360, 280, 540, 400), radius=12, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def add_photo(product) -> None:
    stored = save_image(
        FileStorage(io.BytesIO(photo_of_a_jar()), filename="jar.png", content_type="image/png"),
        folder=f"products/{product.id}",
    )
    db.session.add(
        ProductPhoto(
            product_id=product.id,
            image_key=stored.key,
            widths=",".join(str(w) for w in stored.widths),
            width=stored.width,
            height=stored.height,
        )
    )
    db.session.commit()


@pytest.fixture
def shop(ctx):
    vendor, _owner = make_vendor(
        "owner@example.com", name="Dapur Nyai Ratna", slug="dapur-nyai", kecamatan="Cikupa"
    )
    other, _ = make_vendor("other@example.com", name="Kopi Pak Darto", slug="kopi-pak-darto")
    sambal = ProductFactory(
        vendor=vendor, name="Sambal Roa Pedas", slug="sambal-roa", price=35000, net_content="150 g"
    )
    db.session.add(
        ProductPermit(product_id=sambal.id, kind=PermitKind.HALAL, number="ID31110000123")
    )
    db.session.commit()
    add_photo(sambal)
    kopi = ProductFactory(vendor=other, name="Kopi Robusta", slug="kopi-robusta", price=45000)
    manager(email="bu.rina@example.com")
    return sambal, kopi


def signed_in(app, email: str) -> Client:
    client = Client(app.test_client())
    assert client.login(email, PASSWORD).status_code == 302
    return client


def preview(name: str, data: bytes) -> None:
    """To look at what a test made: KIT_PREVIEW_DIR=/tmp/kit pytest tests/…/test_marketing_kit.py"""
    folder = os.environ.get("KIT_PREVIEW_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "wb") as out:
            out.write(data)


def decoded(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def qr_url_is_the_product_page(url: str, slug: str, source: str) -> None:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{BASE}/product/{slug}"
    assert parse_qs(parts.query) == {"utm_source": [source], "utm_campaign": ["promosi"]}


@pytest.mark.parametrize("size,dimensions", [("square", (1080, 1080)), ("story", (1080, 1920))])
def test_the_share_image_qr_code_decodes_to_the_product_page(app, shop, size, dimensions):
    sambal, _kopi = shop
    owner = signed_in(app, "owner@example.com")
    response = owner.get(f"/vendor/products/{sambal.id}/marketing/{size}.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, no-cache"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == dimensions
    [url] = decoded(response.data)
    qr_url_is_the_product_page(url, "sambal-roa", "qr")
    preview(f"{size}.png", response.data)


def test_a_product_without_a_photo_gets_a_designed_placeholder(app, shop):
    _sambal, _kopi = shop
    vendor = _sambal.vendor
    plain = ProductFactory(vendor=vendor, name="Kue Kering Nastar Keju", price=85000)
    owner = signed_in(app, "owner@example.com")
    response = owner.get(f"/vendor/products/{plain.id}/marketing/square.png")
    assert response.status_code == 200
    image = Image.open(io.BytesIO(response.data)).convert("RGB")
    # The photo area is the outlet's teal with a gold seal, not an empty grey box.
    assert image.getpixel((20, 300)) in {(15, 118, 110), (11, 84, 78)}
    assert image.getpixel((540, 260)) == (251, 191, 36)
    assert len(decoded(response.data)) == 1
    preview("placeholder.png", response.data)


def test_a_kept_image_is_made_again_when_the_price_changes(app, shop):
    sambal, _kopi = shop
    owner = signed_in(app, "owner@example.com")
    first = owner.get(f"/vendor/products/{sambal.id}/marketing/square.png").data
    folder = kit.kit_dir() / f"product-{sambal.id}"
    [kept] = list(folder.glob("square-*.png"))
    assert owner.get(f"/vendor/products/{sambal.id}/marketing/square.png").data == first
    sambal.price = 32000
    db.session.commit()
    second = owner.get(f"/vendor/products/{sambal.id}/marketing/square.png").data
    assert second != first
    [renewed] = list(folder.glob("square-*.png"))
    assert renewed != kept  # the old one is gone, not left to pile up


def test_the_poster_is_an_a5_pdf_with_the_vendor_page_qr_code(app, shop):
    owner = signed_in(app, "owner@example.com")
    response = owner.get("/vendor/marketing/poster.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    assert b"/MediaBox [0 0 419.53 595.28]" in response.data  # A5 in points
    preview("poster.pdf", response.data)
    product_poster = owner.get(f"/vendor/products/{shop[0].id}/marketing/poster.pdf")
    assert product_poster.status_code == 200
    preview("poster-product.pdf", product_poster.data)


def test_the_vendor_share_image_leads_to_the_vendor_page(app, shop):
    owner = signed_in(app, "owner@example.com")
    response = owner.get("/vendor/marketing/story.png")
    [url] = decoded(response.data)
    assert url == f"{BASE}/vendors/dapur-nyai?utm_source=qr&utm_campaign=promosi"


def test_the_kit_page_has_captions_share_buttons_and_the_images(app, shop):
    sambal, _kopi = shop
    owner = signed_in(app, "owner@example.com")
    response = owner.get(f"/vendor/products/{sambal.id}/marketing")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"/vendor/products/{sambal.id}/marketing/square.png" in page
    assert f"/vendor/products/{sambal.id}/marketing/poster.pdf" in page
    assert "https://wa.me/?text=" in page
    whatsapp = page.split('href="https://wa.me/?text=')[1].split('"')[0]
    assert "utm_source%3Dwhatsapp" in whatsapp and "utm_campaign%3Dpromosi" in whatsapp
    facebook = page.split("facebook.com/sharer/sharer.php?u=")[1].split('"')[0]
    assert unquote(facebook).endswith(
        "/product/sambal-roa?utm_source=facebook&amp;utm_campaign=promosi"
    ) or unquote(facebook.replace("&amp;", "&")).endswith(
        "/product/sambal-roa?utm_source=facebook&utm_campaign=promosi"
    )
    assert (
        'data-copy="http://localhost/product/sambal-roa?utm_source=link&amp;utm_campaign=promosi"'
        in page
    )
    assert page.count("Rp35.000") >= 3  # in each caption
    assert "#DapurNyaiRatna" in page and "#UMKMTangerang" in page
    assert "Bersertifikat halal." in page


def test_captions_are_indonesian_and_shorten_a_very_long_name(app, shop):
    sambal, _kopi = shop
    sambal.name = (
        "Sambal Roa Asli Manado Super Pedas Level Sepuluh Dengan Ikan Roa Asap Pilihan "
        "Tanpa Pengawet Kemasan Botol Kaca Besar"
    )
    db.session.commit()
    written = kit_captions.captions(kit.product_subject(sambal))
    assert len(written) == 3
    for text in written:
        assert sambal.name not in text
        assert "Sambal Roa Asli Manado Super Pedas Level Sepuluh Dengan\u2026" in text
        assert "Rp35.000" in text
        assert "http://localhost/s/p" in text  # the short link, for a status
        assert len(text) < 330
    assert written[0].startswith("Sambal Roa Asli")
    assert "hanya Rp35.000" in written[0]
    # The long name still fits the image: wrapped, and shortened on its last line.
    owner = signed_in(app, "owner@example.com")
    for size in ("square", "story"):
        image = owner.get(f"/vendor/products/{sambal.id}/marketing/{size}.png").data
        assert len(decoded(image)) == 1
        preview(f"long-{size}.png", image)
    preview("long-poster.pdf", owner.get(f"/vendor/products/{sambal.id}/marketing/poster.pdf").data)


def test_a_non_halal_product_carries_its_note_not_the_badge(app, shop):
    sambal, _kopi = shop
    db.session.delete(sambal.permits[0])
    sambal.non_halal, sambal.non_halal_ingredient = True, "babi"
    db.session.commit()
    subject = kit.product_subject(sambal)
    assert subject.non_halal_note == "Tidak halal: babi" and subject.halal_number == ""
    assert "(Tidak halal: babi)" in kit_captions.captions(subject)[0]
    owner = signed_in(app, "owner@example.com")
    image = owner.get(f"/vendor/products/{sambal.id}/marketing/square.png").data
    assert Image.open(io.BytesIO(image)).convert("RGB").getpixel((75, 90)) == (153, 27, 27)
    preview("non-halal.png", image)


def test_a_vendor_opening_another_vendors_kit_gets_404(app, shop):
    _sambal, kopi = shop
    owner = signed_in(app, "owner@example.com")
    assert owner.get(f"/vendor/products/{kopi.id}/marketing").status_code == 404
    assert owner.get(f"/vendor/products/{kopi.id}/marketing/square.png").status_code == 404
    assert owner.get(f"/vendor/products/{kopi.id}/marketing/poster.pdf").status_code == 404
    assert not (kit.kit_dir() / f"product-{kopi.id}").exists()
    assert owner.get("/vendor/marketing/other.png").status_code == 404
    assert owner.get(f"/manage/products/{kopi.id}/marketing").status_code == 403


def test_managers_reach_every_kit(app, shop):
    sambal, kopi = shop
    staff = signed_in(app, "bu.rina@example.com")
    assert staff.get(f"/manage/products/{kopi.id}/marketing").status_code == 200
    assert staff.get(f"/manage/vendors/{sambal.vendor_id}/marketing").status_code == 200
    image = staff.get(f"/manage/products/{sambal.id}/marketing/square.png")
    assert image.status_code == 200 and len(decoded(image.data)) == 1
    assert staff.get("/manage/products/999999/marketing").status_code == 404
    assert staff.get("/vendor/marketing").status_code == 403


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_kit_pages_render_in_both_languages(app, shop, lang):
    owner = signed_in(app, "owner@example.com")
    owner.set_cookie("lang", lang)
    page = owner.get("/vendor/marketing").get_data(as_text=True)
    assert ("Materi promosi" if lang == "id" else "Marketing kit") in page
    assert "Sambal Roa Pedas" in page


@pytest.mark.skipif(
    shutil.which("pdftoppm") is None and os.environ.get("CI") != "true",
    reason="needs poppler's pdftoppm (installed by .ci/run; under CI its absence fails)",
)
def test_the_printed_poster_qr_code_decodes_to_the_vendor_page(app, shop, tmp_path):
    owner = signed_in(app, "owner@example.com")
    (tmp_path / "poster.pdf").write_bytes(owner.get("/vendor/marketing/poster.pdf").data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-singlefile", "poster.pdf", "poster"],
        cwd=tmp_path,
        check=True,
    )
    [url] = decoded((tmp_path / "poster.png").read_bytes())
    assert url == f"{BASE}/vendors/dapur-nyai?utm_source=poster&utm_campaign=promosi"
