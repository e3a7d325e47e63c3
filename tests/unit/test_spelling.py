"""Spelling variants shoppers and vendors really use: one test per pair (catalog/spelling.py)."""

import pytest

from storefront.catalog.search import words
from storefront.catalog.spelling import VARIANTS, canonical, with_canonical_forms

PAIRS = [
    ("kripik", "keripik"),
    ("kripick", "keripik"),
    ("keripick", "keripik"),
    ("krupuk", "kerupuk"),
    ("kerupug", "kerupuk"),
    ("renginang", "rengginang"),
    ("rempeyek", "peyek"),
    ("gethuk", "getuk"),
    ("kastangel", "kastengel"),
    ("kaastengel", "kastengel"),
    ("kaasstengel", "kastengel"),
    ("kaasstengels", "kastengel"),
    ("kueh", "kue"),
    ("kwe", "kue"),
    ("baso", "bakso"),
    ("risol", "risoles"),
    ("lunpia", "lumpia"),
    ("lumpiah", "lumpia"),
    ("sambel", "sambal"),
    ("sambelnya", "sambal"),
    ("cabe", "cabai"),
    ("cabay", "cabai"),
    ("pedes", "pedas"),
    ("trasi", "terasi"),
    ("sirop", "sirup"),
    ("syrup", "sirup"),
    ("kofi", "kopi"),
    ("koffie", "kopi"),
    ("coffee", "kopi"),
    ("copi", "kopi"),
    ("coklat", "cokelat"),
    ("chocolate", "cokelat"),
    ("ginger", "jahe"),
    ("mede", "mete"),
    ("tempeh", "tempe"),
    ("satay", "sate"),
    ("chips", "keripik"),
    ("chili", "cabai"),
    ("chilli", "cabai"),
    ("batek", "batik"),
    ("sendal", "sandal"),
    ("sendals", "sandal"),
    ("sandals", "sandal"),
    ("anyam", "anyaman"),
]


@pytest.mark.parametrize(("variant", "canonical_form"), PAIRS)
def test_each_variant_has_its_canonical_form(variant, canonical_form):
    assert canonical(variant) == canonical_form
    # Both sides of the search agree: the query word and the indexed text.
    assert words(variant) == [canonical_form]
    assert canonical_form in with_canonical_forms(f"produk {variant} asli").split()


def test_every_listed_variant_is_tested_and_none_is_its_own_canonical():
    assert {variant for variant, _ in PAIRS} == set(VARIANTS)
    assert all(variant != form for variant, form in VARIANTS.items())
    # No chains: a canonical form is never itself a variant of something else.
    assert not set(VARIANTS.values()) & set(VARIANTS)


@pytest.mark.parametrize("word", ["teh", "the", "keripik", "sambal", "kopi", "kue", "batik"])
def test_canonical_and_unrelated_words_stay_as_they_are(word):
    assert canonical(word) == word
    assert with_canonical_forms(word) == word


def test_the_index_keeps_the_original_words_and_adds_each_canonical_once():
    assert with_canonical_forms("kripik kripik sambel") == "kripik kripik sambel keripik sambal"
