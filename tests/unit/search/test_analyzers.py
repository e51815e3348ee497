"""The multilingual analyzer on real English and Ukrainian legal text, in a real Whoosh index.

Paragraphs come from the shared corpora (Ukrainian laws, EU regulations). The corpus has
"шифрування" but not its ablative or locative, so two short sentences are adapted from the
real Europol paragraph to carry only "шифруванням" and only "шифруванні".
"""

from __future__ import annotations

import json
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from whoosh import index
from whoosh.fields import ID, TEXT, Schema
from whoosh.qparser import AndGroup, OrGroup, QueryParser
from whoosh.searching import Hit, Searcher

from search.analyzers import (
    MultilingualLemmaFilter,
    english_analyzer,
    lemmatize,
    multilingual_analyzer,
    normalize_apostrophes,
    ukrainian_analyzer,
)
from tests.corpora import CORPORA

ROOT = Path(__file__).resolve().parents[3]


@cache
def _load(path: Path) -> Any:
    """Parse one corpus JSON file once per test session."""
    return json.loads(path.read_text(encoding="utf-8"))


def uk_paragraph(law: str, starts_with: str) -> str:
    """The one paragraph of a Ukrainian law that starts with ``starts_with``."""
    found = [
        paragraph
        for provision in _load(CORPORA / "uk-laws" / f"{law}.json")["provisions"]
        for paragraph in provision["content"].split("\n")
        if paragraph.startswith(starts_with)
    ]
    assert len(found) == 1, (law, starts_with, found)
    return str(found[0])


def eu_paragraph(regulation: str, starts_with: str) -> str:
    """The one paragraph of an EU regulation that starts with ``starts_with``."""
    found = [
        paragraph
        for article in _load(CORPORA / "eu-regulations" / f"{regulation}.json")["articles"]
        for paragraph in str(article["text"]).split("\n")
        if paragraph.startswith(starts_with)
    ]
    assert len(found) == 1, (regulation, starts_with, found)
    return str(found[0])


def documents() -> dict[str, str]:
    """Document id → text for the test index."""
    return {
        "uk_encryption": uk_paragraph("00071-ua-law-984-a12", "· Шифрування трафіку"),
        "uk_ablative": "Трафік у публічних комунікаційних лініях захищається шифруванням.",
        "uk_locative": "Рівень класифікації даних враховується при шифруванні трафіку.",
        "uk_itemisation": uk_paragraph(
            "01437-ua-electronic-communications", "Електронні комунікаційні послуги, що"
        ),
        "uk_data_protection": uk_paragraph(
            "00062-ua-law-826-001-20", "1. Сторони співпрацюватимуть із метою забезпечення"
        ),
        "uk_protection_apart": uk_paragraph(
            "00007-ua-law-4495-17", "забезпечувати захист і нерозголошення"
        ),
        "uk_memory_days": uk_paragraph("00771-ua-law-2849-20", "3. Національна рада спільно"),
        "uk_monuments": uk_paragraph("00001-ua-law-254-96", "Держава забезпечує збереження"),
        "uk_mixed": uk_paragraph("00007-ua-law-4495-17", "2) доказу сталості"),
        "en_gdpr_32": eu_paragraph("gdpr", "the pseudonymisation and encryption"),
        "en_gdpr_6": eu_paragraph("gdpr", "the existence of appropriate safeguards, which"),
        "en_cra": eu_paragraph("cra", "protect the confidentiality of stored"),
        "en_eidas": eu_paragraph("eidas2", "generate pseudonyms"),
    }


ENCRYPTION_UK = {"uk_encryption", "uk_ablative", "uk_locative"}
ENCRYPTION_EN = {"en_gdpr_32", "en_gdpr_6", "en_cra", "en_eidas"}


def schema() -> Schema:
    """A minimal archive schema: the analyzer under test on a stored text field."""
    return Schema(id=ID(stored=True, unique=True), body=TEXT(multilingual_analyzer(), stored=True))


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build and commit the index once; each test reopens it from disk."""
    directory = tmp_path_factory.mktemp("whoosh")
    writer = index.create_in(str(directory), schema()).writer()
    for doc_id, body in documents().items():
        writer.add_document(id=doc_id, body=body)
    writer.commit()
    return directory


@pytest.fixture
def searcher(index_dir: Path) -> Iterator[Searcher]:
    """A searcher over the index as reopened by a fresh ``open_dir`` (schema unpickled)."""
    with index.open_dir(str(index_dir)).searcher() as opened:
        yield opened


def find(searcher: Searcher, text: str, *, any_word: bool = False) -> set[str]:
    """Parse ``text`` as a user query on ``body`` and return the matching ids."""
    parser = QueryParser("body", searcher.schema, group=OrGroup if any_word else AndGroup)
    return {hit["id"] for hit in searcher.search(parser.parse(text), limit=None)}


def terms(text: str, mode: str = "index") -> list[str]:
    """The index terms the analyzer produces for ``text``."""
    return [token.text for token in multilingual_analyzer()(text, mode=mode)]


# --- analyzer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "lemma"),
    [
        ("шифрування", "шифрування"),
        ("шифруванням", "шифрування"),
        ("шифруванні", "шифрування"),
        ("Шифруванню", "шифрування"),
        ("захисту", "захист"),
        ("персональних", "персональний"),
        ("дані", "даний"),
        ("даних", "даний"),
        ("зв’язку", "зв'язок"),
        ("зв'язок", "зв'язок"),
        ("encryption", "encrypt"),
        ("encrypted", "encrypt"),
        ("encrypting", "encrypt"),
        ("Sustainability", "sustain"),
    ],
)
def test_inflected_forms_reduce_to_one_term(word: str, lemma: str) -> None:
    """Every form of a word must index and query as the same term."""
    assert terms(word) == [lemma]
    assert terms(word, mode="query") == [lemma]


def test_tokens_keep_positions_and_character_offsets() -> None:
    """Phrase queries need ``pos``; highlighting needs ``startchar``/``endchar`` of the original."""
    text = "Трафік захищається шифруванням і encryption"
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in multilingual_analyzer()(text, positions=True, chars=True)
    ]
    assert tokens == [
        ("трафік", 0, 0, 6),
        ("захищатися", 1, 7, 18),
        ("шифрування", 2, 19, 30),
        ("encrypt", 3, 33, 43),
    ]
    assert text[19:30] == "шифруванням"


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u02bc", "\u2018", "`"])
def test_apostrophe_variants_stay_inside_one_normalised_token(apostrophe: str) -> None:
    """Real texts spell "пам'яті" with five different apostrophes; all must match."""
    assert terms(f"дні пам{apostrophe}яті") == ["день", "пам'ять"]
    assert normalize_apostrophes(f"зв{apostrophe}язку") == "зв'язку"


def test_stop_words_are_dropped_and_positions_renumbered() -> None:
    """Ukrainian and English function words vanish without leaving position gaps."""
    tokens = multilingual_analyzer()("захист і обробка та the data", positions=True)
    assert [(t.text, t.pos) for t in tokens] == [("захист", 0), ("обробка", 1), ("data", 2)]


def test_numbers_are_kept() -> None:
    """Article numbers are searched for ("стаття 5"), so one-character tokens survive."""
    assert terms("Стаття 5 та Article 14.1") == ["стаття", "5", "articl", "14.1"]


def test_each_token_is_handled_by_its_own_script() -> None:
    """Latin words in Ukrainian text are stemmed, Cyrillic words in English are lemmatised."""
    assert terms("доказу сталості (Proof of Sustainability)") == [
        "доказ",
        "сталість",
        "proof",
        "sustain",
    ]
    assert terms("the Verkhovna Rada adopted законів") == ["verkhovna", "rada", "adopt", "закон"]


def test_language_specific_names_are_the_same_analyzer() -> None:
    """Documents and queries in both languages must produce comparable terms."""
    assert english_analyzer() == multilingual_analyzer() == ukrainian_analyzer()


def test_lemmas_are_cached() -> None:
    """Indexing speed relies on repeated words being a cache hit."""
    lemmatize("шифруванням")
    before = lemmatize.cache_info().hits
    lemmatize("шифруванням")
    assert lemmatize.cache_info().hits == before + 1


def test_analyzer_pickles_without_the_morphological_analyzer() -> None:
    """Whoosh pickles the schema into the TOC; pymorphy3's dictionaries must stay out."""
    pickled = pickle.dumps(schema())
    assert b"pymorphy3" not in pickled
    assert b"MorphAnalyzer" not in pickled
    assert len(pickled) < 4_000
    restored = pickle.loads(pickled)  # noqa: S301 - our own bytes, just produced
    assert restored["body"].analyzer == multilingual_analyzer()
    assert any(isinstance(item, MultilingualLemmaFilter) for item in restored["body"].analyzer)


# --- index -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["шифрування", "шифруванням", "шифруванні"])
def test_any_form_finds_every_form(searcher: Searcher, query: str) -> None:
    """The nominative query finds the ablative-only and locative-only documents, and back."""
    assert find(searcher, query) == ENCRYPTION_UK


def test_lemmas_do_not_overreach(searcher: Searcher) -> None:
    """ "розшифруванню" (itemisation, in a telecoms law) is a different word from encryption."""
    assert "uk_itemisation" not in find(searcher, "шифрування")
    assert find(searcher, "розшифрування") == {"uk_itemisation"}


def test_inflected_phrase_finds_other_case(searcher: Searcher) -> None:
    """Nominative "захист персональних даних" finds genitive "захисту персональних даних"."""
    assert find(searcher, "захист персональних даних") == {
        "uk_data_protection",
        "uk_protection_apart",
    }
    assert find(searcher, '"захист персональних даних"') == {"uk_data_protection"}
    assert find(searcher, '"захисту персональних даних"') == {"uk_data_protection"}


@pytest.mark.parametrize("query", ["encrypt", "encryption", "encrypted", "Encrypting"])
def test_english_stems_match(searcher: Searcher, query: str) -> None:
    """All English documents about encryption are found by any form of the word."""
    assert find(searcher, query) == ENCRYPTION_EN


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u02bc"])
def test_apostrophe_variants_in_queries(searcher: Searcher, apostrophe: str) -> None:
    """The index holds one spelling, whatever the document and query used."""
    assert find(searcher, f"пам{apostrophe}ять") == {"uk_memory_days"}  # document has ’
    assert find(searcher, f"пам{apostrophe}ятки") == {"uk_monuments"}  # document has '
    assert find(searcher, f"об{apostrophe}єкт") == {"uk_monuments"}


def test_mixed_language_document(searcher: Searcher) -> None:
    """A Ukrainian paragraph quoting an English term answers queries in both languages."""
    assert find(searcher, "сталість біометану") == {"uk_mixed"}
    assert find(searcher, "sustainable") == {"uk_mixed"}
    assert find(searcher, '"proof of sustainability"') == {"uk_mixed"}


def test_query_in_both_languages_finds_both(searcher: Searcher) -> None:
    """One query box serves the whole archive."""
    assert find(searcher, "encryption шифрування", any_word=True) == ENCRYPTION_UK | ENCRYPTION_EN


def highlighted(hit: Hit) -> str:
    """The hit's highlighted excerpt with Whoosh's per-surface-form CSS classes removed.

    Whoosh numbers classes (term0, term1, …) by surface text in the order it meets them,
    so the class depends on which hit was highlighted first; the marked words do not.
    """
    return re.sub(r' class="[^"]*"', "", hit.highlights("body"))


def test_highlighting_marks_the_inflected_surface_form(searcher: Searcher) -> None:
    """Highlights show the document's own word even though the match was on its lemma."""
    parser = QueryParser("body", searcher.schema)
    hits = {hit["id"]: hit for hit in searcher.search(parser.parse("шифрування"))}
    assert highlighted(hits["uk_ablative"]) == "лініях захищається <b>шифруванням</b>"
    assert highlighted(hits["uk_locative"]) == "враховується при <b>шифруванні</b> трафіку"
    assert highlighted(hits["uk_encryption"]) == (
        "<b>Шифрування</b> трафіку при використанні публічних...ліній технологіями "
        "<b>шифрування</b> повинно відповідати"
    )


def test_index_reopens_in_a_fresh_process(index_dir: Path) -> None:
    """A new process unpickles the schema and loads pymorphy3 lazily on the first query."""
    script = (
        "import sys\n"
        "from whoosh import index\n"
        "from whoosh.qparser import QueryParser\n"
        "ix = index.open_dir(sys.argv[1])\n"
        "with ix.searcher() as s:\n"
        "    q = QueryParser('body', ix.schema).parse('шифруванні')\n"
        "    print(','.join(sorted(h['id'] for h in s.search(q))))\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed script, our own interpreter
        [sys.executable, "-c", script, str(index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == ",".join(sorted(ENCRYPTION_UK))
