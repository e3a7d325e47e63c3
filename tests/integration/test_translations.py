"""Every user-visible string has an Indonesian translation, every translation keeps the
placeholders of its source, and the catalogues are compiled from the current .po files."""

from __future__ import annotations

import gettext
import io
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "storefront" / "translations"


def _key(message) -> str:
    """The source text, with its pgettext context ("statement|Paid") when it has one."""
    text = message.id if isinstance(message.id, str) else message.id[0]
    return f"{message.context}|{text}" if message.context else text


def test_every_string_in_the_code_has_an_indonesian_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        extracted = {_key(m) for m in read_po(f) if m.id}
    with (TRANSLATIONS / "id" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {
        _key(m)
        for m in catalogue
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    missing = sorted(extracted - translated)
    assert not missing, (
        "untranslated strings (run `make translations-update` and fill in "
        f"storefront/translations/id/LC_MESSAGES/messages.po): {missing}"
    )


@pytest.mark.parametrize("lang", ["id", "en"])
def test_catalogues_are_compiled_from_the_current_po_files(lang):
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    assert (folder / "messages.mo").exists(), (
        f"{lang} catalogue not compiled: run `make translations`"
    )
    with (folder / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale=lang)
    expected = io.BytesIO()
    write_mo(expected, catalogue, use_fuzzy=True)  # what `make translations` writes
    assert (folder / "messages.mo").read_bytes() == expected.getvalue(), (
        f"{lang}/LC_MESSAGES/messages.mo is older than messages.po: run `make translations`"
    )


# --- placeholders ------------------------------------------------------------------------------
# A translation that drops, renames or mangles a placeholder turns the page that shows it into a
# 500 (the Indonesian plural of "%(num)d movement" was once just "%"). Formatting follows what the
# app does: Jinja's newstyle gettext and ngettext always apply `%`, Python's gettext only when
# variables are passed.

PRINTF = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?(?P<type>[diouxXeEfFgGcrsa%])?"
)
BRACES = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")
NUMERIC = set("diouxXc")
FLOAT = set("eEfFgG")


@dataclass(frozen=True)
class Placeholders:
    named: frozenset[tuple[str, str]]
    positional: tuple[str, ...]
    braces: frozenset[str]

    def __str__(self) -> str:
        parts = [f"%({name}){kind}" for name, kind in sorted(self.named)]
        parts += [f"%{kind}" for kind in self.positional]
        parts += [f"{{{name}}}" for name in sorted(self.braces)]
        return ", ".join(parts) or "none"


def placeholders(text: str) -> Placeholders:
    named, positional = set(), []
    for match in PRINTF.finditer(text):
        kind = match["type"]
        if kind is None or (kind == "%" and match["name"] is None):
            continue  # "%%", or a lone "%" that only formatting can judge
        if match["name"] is not None:
            named.add((match["name"], kind))
        else:
            positional.append(kind)
    return Placeholders(frozenset(named), tuple(positional), frozenset(BRACES.findall(text)))


def _sample(kind: str):
    return 3 if kind in NUMERIC else 1.5 if kind in FLOAT else "x"


def _format_as_the_app_does(message, text: str, source: Placeholders) -> None:
    in_template = any(path.startswith("templates/") for path, _ in message.locations)
    plural = isinstance(message.id, tuple)
    if source.positional:
        text % tuple(_sample(kind) for kind in source.positional)
    elif source.named or plural or in_template:
        variables = {name: _sample(kind) for name, kind in source.named}
        if plural:
            variables.setdefault("num", 3)  # Flask-Babel's ngettext always passes num
        text % variables
    if source.braces:
        text.format(**dict.fromkeys(source.braces, "x"))


def _forms_used_only_for_one(catalogue) -> set[int]:
    """Plural forms that a count other than 1 never selects (English msgstr[0]); Indonesian has
    one form for every count, which must therefore show the number."""
    choose = gettext.c2py(catalogue.plural_expr)
    used_by: dict[int, set[int]] = {}
    for n in range(1000):
        used_by.setdefault(choose(n), set()).add(n)
    return {form for form, counts in used_by.items() if counts == {1}}


def placeholder_problems(po_path: Path) -> list[str]:
    with po_path.open("rb") as f:
        catalogue = read_po(f)
    singular_forms = _forms_used_only_for_one(catalogue)
    problems = []
    for message in catalogue:
        if not message.id:  # fuzzy entries count: `make translations` compiles them
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not any(strings):
            continue  # untranslated: gettext shows the source (test above insists on Indonesian)
        where = f"{po_path.parts[-3]}: {ids[0]!r}"
        if len(ids) > 1 and len(strings) != catalogue.num_plurals:
            problems.append(f"{where} has {len(strings)} forms, the language needs "
                            f"{catalogue.num_plurals}")  # fmt: skip
        source = placeholders(ids[-1])  # the plural source when there is one
        for index, text in enumerate(strings):
            allowed = [source]
            if len(ids) > 1 and index in singular_forms:
                # English may say "one photo" where the source singular does too.
                allowed.append(placeholders(ids[0]))
            label = f"{where} msgstr[{index}]" if len(ids) > 1 else where
            got = placeholders(text)
            if got not in allowed:
                problems.append(f"{label} -> {text!r}: placeholders {got}, expected {source}")
            try:
                _format_as_the_app_does(message, text, source)
            except (ValueError, TypeError, KeyError, IndexError) as exc:
                problems.append(f"{label} -> {text!r} cannot be formatted: {exc!r}")
    return problems


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_translation_keeps_the_placeholders_of_its_source(lang):
    problems = placeholder_problems(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")
    assert not problems, "fix these translations:\n" + "\n".join(problems)


def _po(tmp_path: Path, lang: str, plural_forms: str, entries: str) -> Path:
    path = tmp_path / lang / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    path.write_text(
        f'msgid ""\nmsgstr ""\n"Language: {lang}\\n"\n"Plural-Forms: {plural_forms}\\n"\n'
        '"Content-Type: text/plain; charset=utf-8\\n"\n\n' + entries,
        encoding="utf-8",
    )
    return path


INDONESIAN = "nplurals=1; plural=0;"
ENGLISH = "nplurals=2; plural=(n != 1);"


@pytest.mark.parametrize(
    ("entry", "complaint"),
    [
        (  # the bug that took the stock-movement pages down
            '#: templates/x.html:1\nmsgid "%(num)d movement"\nmsgid_plural "%(num)d movements"\n'
            'msgstr[0] "%"\n',
            "cannot be formatted",
        ),
        (  # one form serves every count in Indonesian, so it must show the number
            '#: templates/x.html:1\nmsgid "One photo"\nmsgid_plural "%(num)d photos"\n'
            'msgstr[0] "Satu foto"\n',
            "expected %(num)d",
        ),
        ('#: a.py:1\nmsgid "Hello %(name)s"\nmsgstr "Halo %(nama)s"\n', "cannot be formatted"),
        ('#: a.py:1\nmsgid "Hello %(name)s"\nmsgstr "Halo"\n', "placeholders none"),
        ('#: a.py:1\nmsgid "%(n)d days"\nmsgstr "%(n)s hari"\n', "expected %(n)d"),
        ('#: a.py:1\nmsgid "%s of %d"\nmsgstr "%d dari %s"\n', "expected %s, %d"),
        ('#: a.py:1\nmsgid "Hi {name}"\nmsgstr "Hai {nama}"\n', "expected {name}"),
        (  # Jinja formats every string, so a lone percent sign breaks the page
            '#: templates/x.html:1\nmsgid "Commission in percent"\nmsgstr "Komisi (%)"\n',
            "cannot be formatted",
        ),
    ],
)
def test_the_placeholder_check_finds_broken_translations(tmp_path, entry, complaint):
    problems = placeholder_problems(_po(tmp_path, "id", INDONESIAN, entry))
    assert any(complaint in problem for problem in problems), problems


def test_the_placeholder_check_accepts_what_gettext_can_show(tmp_path):
    english = _po(
        tmp_path,
        "en",
        ENGLISH,
        '#: templates/x.html:1\nmsgid "One photo"\nmsgid_plural "%(num)d photos"\n'
        'msgstr[0] "A single photo"\nmsgstr[1] "%(num)d pictures"\n\n'
        '#: a.py:1\nmsgid "Commission (%)"\nmsgstr "Commission (%)"\n\n'
        '#: templates/x.html:2\nmsgid "%(rate)s %% of the price"\nmsgstr "%(rate)s %% of it"\n',
    )
    assert placeholder_problems(english) == []
    plural_without_number = _po(
        tmp_path / "b",
        "en",
        ENGLISH,
        '#: templates/x.html:1\nmsgid "%(num)d photo"\nmsgid_plural "%(num)d photos"\n'
        'msgstr[0] "A photo"\nmsgstr[1] "%(num)d photos"\n',
    )
    assert placeholder_problems(plural_without_number), "the source singular shows the number"
