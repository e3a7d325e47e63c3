"""Indonesian areas the shop needs: the province codes that begin a NIK, and the cities and
kecamatan (districts) of Tangerang that vendors and deliveries are in."""

from __future__ import annotations

import re

# Province codes of Kemendagri (Permendagri 72/2019 on administrative area codes, as updated by
# Kepmendagri 100.1.1-6117/2022 and later, which added the four new Papua provinces created in
# 2022 by UU 14, 15, 16 and 29/2022). Dukcapil uses these codes as the first two NIK digits.
# A NIK issued before 2022 in the new Papua provinces still starts with 91 or 92.
PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua",
    "92": "Papua Barat",
    "93": "Papua Selatan",
    "94": "Papua Tengah",
    "95": "Papua Pegunungan",
    "96": "Papua Barat Daya",
}


# --- Kecamatan --------------------------------------------------------------------------------

CITIES: tuple[tuple[str, str], ...] = (
    ("kabupaten-tangerang", "Kabupaten Tangerang"),
    ("kota-tangerang", "Kota Tangerang"),
)

# Districts as listed by Kemendagri's area codes (regency 36.03 and city 36.71).
KECAMATAN: dict[str, tuple[str, ...]] = {
    "kabupaten-tangerang": (
        "Balaraja",
        "Cikupa",
        "Cisauk",
        "Cisoka",
        "Curug",
        "Gunung Kaler",
        "Jambe",
        "Jayanti",
        "Kelapa Dua",
        "Kemiri",
        "Kosambi",
        "Kresek",
        "Kronjo",
        "Legok",
        "Mauk",
        "Mekar Baru",
        "Pagedangan",
        "Pakuhaji",
        "Panongan",
        "Pasar Kemis",
        "Rajeg",
        "Sepatan",
        "Sepatan Timur",
        "Sindang Jaya",
        "Solear",
        "Sukadiri",
        "Sukamulya",
        "Teluknaga",
        "Tigaraksa",
    ),
    "kota-tangerang": (
        "Batuceper",
        "Benda",
        "Cibodas",
        "Ciledug",
        "Cipondoh",
        "Jatiuwung",
        "Karangtengah",
        "Karawaci",
        "Larangan",
        "Neglasari",
        "Periuk",
        "Pinang",
        "Tangerang",
    ),
}


def _kecamatan_key(name: str) -> str:
    # People write "Teluk Naga" or "Teluknaga", "Kec. Batu Ceper" or "Batuceper": compare
    # without case, spaces and the "Kecamatan" label.
    name = re.sub(r"^\s*(?:KECAMATAN|KEC\.?)\s*", "", (name or "").upper())
    return re.sub(r"[^A-Z]", "", name)


def is_known_kecamatan(city_key: str, name: str) -> bool:
    wanted = _kecamatan_key(name)
    return bool(wanted) and any(
        _kecamatan_key(known) == wanted for known in KECAMATAN.get(city_key, ())
    )
