"""How Indonesians spell what they search for: one canonical form per word.

Shop signs, packaging and shoppers write the same thing several ways: "kripik" and "keripik",
"sambel" and "sambal", "cabe" and "cabai", "coklat" and "cokelat" (the KBBI forms are the
second ones); English-speaking shoppers type "coffee" for "kopi". The search index stores, next
to each word, its canonical form when it differs, and every query word is turned into its
canonical form before it is looked up, so any spelling finds every other (`search_index.py`,
`search.py`). Typos beyond this list are for the fuzzy fallback in `search.py`.

Each pair has a test (tests/unit/test_spelling.py). Add a word only when both spellings are
really used for the same thing: "teh" (tea) must never become "the".
"""

from __future__ import annotations

import re

# variant -> canonical (the KBBI form where there is one, else the most common spelling).
VARIANTS: dict[str, str] = {
    # snacks
    "kripik": "keripik",
    "kripick": "keripik",
    "keripick": "keripik",
    "krupuk": "kerupuk",
    "kerupug": "kerupuk",
    "renginang": "rengginang",
    "rempeyek": "peyek",
    "gethuk": "getuk",
    "kastangel": "kastengel",
    "kaastengel": "kastengel",
    "kaasstengel": "kastengel",
    "kaasstengels": "kastengel",
    "kueh": "kue",
    "kwe": "kue",
    "baso": "bakso",
    "risol": "risoles",
    "lunpia": "lumpia",
    "lumpiah": "lumpia",
    # sauces and seasonings
    "sambel": "sambal",
    "sambelnya": "sambal",
    "cabe": "cabai",
    "cabay": "cabai",
    "pedes": "pedas",
    "trasi": "terasi",
    "sirop": "sirup",
    "syrup": "sirup",
    # drinks
    "kofi": "kopi",
    "koffie": "kopi",
    "coffee": "kopi",
    "copi": "kopi",
    "coklat": "cokelat",
    "chocolate": "cokelat",
    "ginger": "jahe",
    # ingredients
    "mede": "mete",
    "tempeh": "tempe",
    "satay": "sate",
    "chips": "keripik",
    "chili": "cabai",
    "chilli": "cabai",
    # crafts and clothing
    "batek": "batik",
    "sendal": "sandal",
    "sendals": "sandal",
    "sandals": "sandal",
    "anyam": "anyaman",
}

_WORD = re.compile(r"[^\W_]+")


def canonical(word: str) -> str:
    """The canonical spelling of one lower-case, accent-free word (itself when not listed)."""
    return VARIANTS.get(word, word)


def with_canonical_forms(text: str) -> str:
    """`text` (already lower-case and accent-free) followed by the canonical form of each word
    that is a listed variant: "kripik singkong" -> "kripik singkong keripik". The index keeps the
    original words too, so a shopper typing the start of either spelling still finds it."""
    extra = dict.fromkeys(
        canonical(word) for word in _WORD.findall(text) if canonical(word) != word
    )
    return f"{text} {' '.join(extra)}" if extra else text
