"""Searching a small synthetic index: typos, phrases, ranking, filters, pages, odd input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.search.engine import IndexedDoc, SearchIndex, SearchResult


def doc(key: str, lang: str, title: str, body: str, *, category: str = "returning",
        tags: tuple[str, ...] = (), summary: str = "", headings: str = "",
        revision: int = 1) -> IndexedDoc:
    """A test document."""
    return IndexedDoc(f"{lang}:{key}", key, lang, key, title, category, tags, summary,
                      headings, body, revision)


DOCS = [
    doc("return-window", "en", "How long do I have to return an item?",
        "You have 30 days to return most items, counted from delivery.",
        tags=("return deadline",), summary="30 days to return most items."),
    doc("return-label", "en", "Print a return label",
        "Print the return label and stick it on the box. The carrier scans the label.",
        category="shipping", summary="Get a prepaid return label."),
    doc("label-apart", "en", "Carrier stickers",
        "A label for the carrier is printed at the shop, then you return home.",
        category="shipping"),
    doc("refund-timing", "en", "When will I get my refund?",
        "We refund you within 5 days once we have received your parcel back.",
        category="refunds", summary="Refunds are issued within 5 days of receipt."),
    doc("item-not-received", "en", "My parcel hasn't arrived",
        "If your parcel never arrived, track the package first, then claim it as not "
        "received for a refund or replacement.", category="problems",
        tags=("parcel not received", "package never arrived")),
    doc("return-in-store", "en", "Return an item in store",
        "Bring the item back to any of our stores with the order confirmation.",
        tags=("return to a shop",)),
    doc("remboursement", "fr", "Quand serai-je remboursé ?",
        "Le remboursement est effectué sous 5 jours après réception du colis.",
        category="refunds", summary="Vous êtes remboursé sous 5 jours."),
    doc("colis-non-recu", "fr", "Mon colis n'est pas arrivé",
        "Votre colis n'est jamais arrivé ? Suivez le colis puis signalez-le comme non reçu.",
        category="problems"),
    doc("retour", "fr", "Renvoyer un article",
        "Pour renvoyer un article, imprimez l'étiquette de retour et déposez le colis.",
        summary="Étiquette de retour gratuite."),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """An index of DOCS, shared by the tests of this module (they only read it)."""
    ix = SearchIndex(tmp_path_factory.mktemp("search") / "index")
    assert ix.rebuild(DOCS) == len(DOCS)
    yield ix


def keys(result: SearchResult) -> list[str]:
    """Keys of a SearchResult's hits, in order."""
    return [h.key for h in result.hits]


@pytest.mark.parametrize(
    ("query", "lang", "expected", "suggestion"),
    [
        ("retrun", "en", "return-window", "return"),
        ("recieved parcel", "en", "refund-timing", "received parcel"),
        ("refnud", "en", "refund-timing", "refund"),
        ("rembourssement", "fr", "remboursement", "remboursement"),
        ("colsi jamais arrive", "fr", "colis-non-recu", "colis jamais arrive"),
        ("etiqette retour", "fr", "retour", "étiquette retour"),
    ],
)
def test_typos_are_corrected_with_did_you_mean(
    index: SearchIndex, query: str, lang: str, expected: str, suggestion: str
) -> None:
    result = index.search(query, lang)
    assert expected in keys(result)[:2]
    assert result.corrected is True
    assert result.suggestion == suggestion


def test_a_repeated_typo_search_reuses_its_did_you_mean(index: SearchIndex,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    first = index.search("etiqette retour", "fr")
    snap = index._current()
    assert snap is not None
    reads: list[int] = []
    stored = snap.stored
    monkeypatch.setattr(snap, "stored", lambda d: reads.append(d) or stored(d))
    again = index.search("etiqette retour", "fr")
    # The articles' texts are not read again: the suggestion is kept for this generation.
    assert again == first and again.suggestion == "étiquette retour" and reads == []
    index.search("etiqette", "fr")  # another query: read for it
    assert reads


def test_known_words_are_not_corrected(index: SearchIndex) -> None:
    result = index.search("refund", "en")
    assert result.suggestion is None and result.corrected is False
    assert keys(result)[0] == "refund-timing"


def test_missing_accents_and_inflections_match(index: SearchIndex) -> None:
    assert keys(index.search("rembourse apres reception", "fr"))[0] == "remboursement"
    assert "colis-non-recu" in keys(index.search("reçu", "fr"))
    assert index.search("rembourse", "fr").corrected is False


def test_exact_match_ranks_above_its_fuzzy_neighbours(tmp_path: Path) -> None:
    # One article has the rare word itself, five others its common near-twin: the exact
    # one comes first, the fuzzy ones are still found.
    docs = [doc("exact", "en", "Colour swatches", "The retrun swatch sits here.")]
    docs += [doc(f"fuzzy-{i}", "en", f"Page {i}", "How to return it.") for i in range(6)]
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(docs)
    result = ix.search("retrun", "en")
    assert keys(result)[0] == "exact"
    assert len(result.hits) == 7
    assert result.hits[0].score > result.hits[1].score


def test_title_outranks_body(index: SearchIndex) -> None:
    assert keys(index.search("refund", "en"))[0] == "refund-timing"
    assert keys(index.search("label", "en"))[0] == "return-label"


def test_conversational_queries_rank_the_best_match_first(index: SearchIndex) -> None:
    assert keys(index.search("my parcel never came", "en"))[0] == "item-not-received"
    assert keys(index.search("can I bring it back to the shop", "en"))[0] == "return-in-store"
    assert keys(index.search("je veux renvoyer un article", "fr"))[0] == "retour"
    # Most words, not all: a query word no article has does not empty the result...
    assert keys(index.search("refund days xylophone", "en"))[0] == "refund-timing"


def test_articles_holding_less_than_most_of_the_query_are_not_results(
    index: SearchIndex,
) -> None:
    # ...but an article holding one word of two, or one of three, does not answer it.
    assert index.search("refund xylophone", "en").total == 0
    assert index.search("parcel football tonight", "en").total == 0
    # A single word needs only itself.
    assert keys(index.search("parcel", "en"))[0] == "item-not-received"


def test_a_long_question_needs_three_of_its_words(index: SearchIndex) -> None:
    # Six words: "most" would be four, but a pasted paragraph is rarely all on one topic.
    query = "return items delivery xylophone zither kazoo"
    assert keys(index.search(query, "en")) == ["return-window"]


def test_a_correction_of_a_short_word_counts_as_half_a_word(index: SearchIndex) -> None:
    # "parcl" and "labl" are guesses (short words): with a word no article has, two
    # guesses are not most of the query; a long word's correction ("retrun") is trusted.
    assert index.search("parcl trak xylophone", "en").total == 0
    assert keys(index.search("retrun labl", "en"))[0] == "return-label"
    assert keys(index.search("parcl tracking", "en"))[0] == "item-not-received"


def test_phrase_query_needs_the_words_together(index: SearchIndex) -> None:
    result = index.search('"return label"', "en")
    assert keys(result) == ["return-label"]
    # Without quotes, the article with both words apart matches too.
    assert "label-apart" in keys(index.search("return label", "en"))
    # A phrase with a typo is corrected; an unbalanced quote is read as plain words.
    assert keys(index.search('"retrun label"', "en")) == ["return-label"]
    assert "return-label" in keys(index.search('"return label', "en"))


def test_languages_are_searched_separately(index: SearchIndex) -> None:
    assert all(h.lang == "fr" for h in index.search("colis retour", "fr").hits)
    assert index.search("colis", "en").total == 0
    assert index.search("refund", "de").total == 0


def test_category_filter_and_pagination(index: SearchIndex) -> None:
    everything = index.search("return", "en", limit=100)
    shipping = index.search("return", "en", category="shipping")
    assert {h.category for h in shipping.hits} == {"shipping"}
    assert shipping.total == 2 < everything.total
    pages = [index.search("return", "en", limit=2, offset=o) for o in (0, 2, 4)]
    assert all(p.total == everything.total for p in pages)
    assert [k for p in pages for k in keys(p)] == keys(everything)[:6]
    assert index.search("return", "en", offset=50).hits == ()
    assert index.search("return", "en", category="nope").total == 0


def test_deep_pages_neither_overlap_nor_skip(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "index")
    ix.rebuild(doc(f"k{i}", "en", f"Return label {i}" if i % 7 else f"Label for a return {i}",
                   "return label " * (i % 5 + 1) + "filler " * (i % 11)) for i in range(90))
    everything = [h.key for h in ix.search("return label", "en", limit=100).hits]
    paged = [h.key for o in range(0, 100, 9)
             for h in ix.search("return label", "en", limit=9, offset=o).hits]
    assert paged == everything and len(everything) == 90


def test_hits_carry_metadata_and_marked_snippets(index: SearchIndex) -> None:
    hit = index.search("5 days refund", "en").hits[0]
    assert (hit.key, hit.lang, hit.slug, hit.category) == (
        "refund-timing", "en", "refund-timing", "refunds")
    assert hit.title == "When will I get my refund?"
    assert "<mark>Refunds</mark>" in hit.snippet and hit.score > 0


BAD_QUERIES = [
    "", "   ", '"', '"""', '"return', 'return"', "AND OR (", "NOT", "((", "*", "?", "~", "~2",
    "title:refund", "refund^3", "a" * 2000, "\x00", "\x00refund\x00", "\x1b[2J", "😀😀",
    "retour 😀", "-", "+", "[]", "{}", "\\", "'; DROP TABLE x;--", "<script>", "%00",
    "\ud800", "ﷺ" * 50, "refund " * 300,
]


@pytest.mark.parametrize("query", BAD_QUERIES)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_odd_queries_never_raise(index: SearchIndex, query: str, lang: str) -> None:
    result = index.search(query, lang)
    assert result.total >= len(result.hits) >= 0
    index.suggest(query, lang)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])
@given(query=st.text(max_size=300))
def test_any_text_is_a_valid_query(index: SearchIndex, query: str) -> None:
    result = index.search(query, "en")
    assert result.total >= len(result.hits)
    index.suggest(query, "fr")


def test_suggest_completes_titles_as_the_shopper_types(index: SearchIndex) -> None:
    assert index.suggest("pri", "en") == [("return-label", "return-label", "Print a return label")]
    # Titles starting with the prefix first, then shorter titles.
    assert [k for k, _, _ in index.suggest("ret", "en")] == [
        "return-in-store", "return-label", "return-window"]
    assert [k for k, _, _ in index.suggest("RETURN", "en")][0] == "return-in-store"
    assert [k for k, _, _ in index.suggest("rembourse", "fr")] == ["remboursement"]
    assert [k for k, _, _ in index.suggest("label ret", "en")] == ["return-label"]
    assert index.suggest("return", "en", limit=1) == [
        ("return-in-store", "return-in-store", "Return an item in store")]
    assert index.suggest("", "en") == [] and index.suggest("zzz", "en") == []


def test_suggest_reads_tags_and_summaries_too(index: SearchIndex) -> None:
    assert [k for k, _, _ in index.suggest("prepa", "en")] == ["return-label"]  # its summary
    assert [k for k, _, _ in index.suggest("package nev", "en")] == ["item-not-received"]  # a tag
    # Stop words typed along do not have to be in the article.
    assert [k for k, _, _ in index.suggest("my package nev", "en")] == ["item-not-received"]
