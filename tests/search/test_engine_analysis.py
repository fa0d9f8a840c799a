"""Text analysis of the search engine: folding, stemming, stop words, snippets, spelling."""

from __future__ import annotations

import pytest

from kb.search.analysis import (
    LangAnalyzer,
    analyze,
    fold,
    longest_run,
    query_words,
    term_for,
    token_keys,
)
from kb.search.query import sanitize, split_phrases
from kb.search.snippets import best_snippet, find_terms
from kb.search.spelling import SymSpell, correct, distance, repair_ending


def test_fold_strips_accents_and_case() -> None:
    assert fold("Reçu") == "recu"
    assert fold("REMBOURSÉ") == "rembourse"
    assert fold("Œuvre à côté") == "oeuvre a cote"


@pytest.mark.parametrize(
    ("words", "lang"),
    [
        (["return", "returns", "returned", "returning"], "en"),
        (["refund", "refunds", "refunded"], "en"),
        (["remboursement", "remboursé", "rembourse", "REMBOURSER"], "fr"),
        (["reçu", "recu", "Reçu"], "fr"),
        (["étiquette", "etiquette", "étiquettes"], "fr"),
        (["échange", "echange", "échanger"], "fr"),
    ],
)
def test_inflections_and_accents_share_one_term(words: list[str], lang: str) -> None:
    assert len({term_for(w, lang) for w in words}) == 1


def test_stop_words_and_conversational_filler_are_dropped() -> None:
    assert [w for w, _ in query_words("Can I bring it back to the shop?", "en")] == [
        "bring", "back", "shop"]
    assert [w for w, _ in query_words("je veux renvoyer un article", "fr")] == [
        "renvoyer", "article"]


def test_french_elisions_split_off() -> None:
    assert analyze("l'article d'un colis qu'il", "fr") == [term_for("article", "fr"), "colis"]


def test_whoosh_analyzer_tokens_match_analyze() -> None:
    tokens = [(t.text, t.pos, t.startchar, t.endchar)
              for t in LangAnalyzer("fr")("Le colis reçu", positions=True, chars=True)]
    assert tokens == [("colis", 0, 3, 8), ("recu", 1, 9, 13)]
    assert LangAnalyzer("en") == LangAnalyzer("en") != LangAnalyzer("fr")


def test_snippet_marks_matches_and_escapes_html() -> None:
    terms = frozenset({term_for("refund", "en")})
    html = best_snippet(("Summary <b>without</b> it", "Your refunds & <script>x</script>"),
                        terms, "en")
    assert "<mark>refunds</mark>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html and "&amp;" in html


def test_snippet_prefers_window_with_most_distinct_terms() -> None:
    body = ("refund " + "filler " * 60 + "refund label here " + "filler " * 60).strip()
    terms = frozenset({term_for("refund", "en"), term_for("label", "en")})
    html = best_snippet(("", body), terms, "en", width=60)
    assert "<mark>refund</mark> <mark>label</mark>" in html
    assert html.startswith("…")


def test_find_terms_is_accent_insensitive() -> None:
    text = "Remboursé ! Le remboursement, reçu… cœur"
    found = find_terms(text, frozenset({term_for("rembourser", "fr"), "recu"}), "fr")
    assert [text[s:e] for s, e, _ in found] == ["Remboursé", "remboursement", "reçu"]


def test_sanitize_removes_control_characters_and_bounds_length() -> None:
    assert sanitize("a\x00b\x1b[31mc\u200b d\n") == "a b [31mc d"
    assert len(sanitize("x" * 5000)) <= 256
    assert split_phrases('"return label" then "unclosed') == (["return label"], "  then  unclosed")


def test_distance_counts_a_transposition_as_one_edit() -> None:
    assert distance("retrun", "return") == 1
    assert distance("colsi", "colis") == 1
    assert distance("abc", "xyz") == 3  # beyond the limit of 2: limit + 1
    assert distance("rembourss", "rembours") == 1


def test_symspell_finds_the_nearest_then_most_frequent_term() -> None:
    vocab = {"return": 50, "retain": 2, "colis": 10, "receiv": 30}
    speller = SymSpell()
    speller.add(vocab)
    assert correct("retrun", vocab, speller) == "return"
    assert correct("cols", vocab, speller) == "colis"
    assert correct("reciev", vocab, speller) == "receiv"
    assert correct("zzzzzz", vocab, speller) is None
    assert correct("ab", vocab, speller) is None  # too short to guess


def test_longest_run_counts_stop_words_but_needs_a_real_word() -> None:
    query = token_keys("where is my return", "en")
    assert longest_run(query, token_keys("Where is my return? Tracking its status", "en")) == 4
    assert longest_run(query, token_keys("Where is my order", "en")) == 0  # stop words only
    assert longest_run(token_keys("le retour est il payant", "fr"),
                       token_keys("Le retour est-il gratuit ?", "fr")) == 4


def test_a_correction_keeps_the_typed_letters_and_never_changes_the_first() -> None:
    vocab = {"receiv": 40, "receipt": 8, "take": 30, "store": 30, "tight": 5, "return": 50}
    speller = SymSpell()
    speller.add(vocab)
    assert correct("receit", vocab, speller) == "receipt"  # a letter left out, not swapped
    assert correct("rteurn", vocab, speller) == "return"  # the first two letters swapped
    assert correct("cake", vocab, speller) is None  # not "take": another first letter
    assert correct("tonight", vocab, speller) is None  # not "tight": two letters dropped
    assert correct("stoer", vocab, speller) == "store"


def test_a_typo_that_spoils_the_stemming_is_found_on_the_word_itself() -> None:
    vocab = {"rembours": 12, "defectu": 4, "repar": 3}
    assert repair_ending("remboursment", "fr", vocab) == "rembours"  # an "e" left out
    assert repair_ending("Défectueus", "fr", vocab) == "defectu"  # "x" typed as "s"
    assert repair_ending("reparasion", "fr", vocab) == "repar"
    assert repair_ending("photosynthese", "fr", vocab) is None  # nothing one edit away
    assert repair_ending("repas", "fr", vocab) is None  # too short to guess
