"""Relevance on the real articles: what shoppers type (typos, no accents, whole sentences)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kb.search.engine import SearchIndex
from tests.search.corpus import keys_by_lang, load_docs

# (query as a shopper types it, expected article key, rank it must reach: 1 or 3)
EN: list[tuple[str, str, int]] = [
    ("how many days do i have to send something back", "return-window", 1),
    ("is it too late to return my jacket", "return-window", 3),
    ("retrun deadline", "return-window", 1),
    ("how do i send back an item", "start-a-return", 3),
    ("i want to return my order", "start-a-return", 3),
    ("print return lable", "return-shipping-label", 1),
    ("i dont have a printer for the label", "return-shipping-label", 1),
    ("can I bring it back to the shop", "return-in-store", 1),
    ("return in person at a store near me", "return-in-store", 1),
    ("lost my reciept", "return-without-receipt", 1),
    ("return without proof of purchase", "return-without-receipt", 3),
    ("swap for a bigger size", "exchange", 1),
    ("exchnage colour", "exchange", 1),
    ("when do i get my money back", "refund-timing", 3),
    ("refund not recieved yet", "refund-timing", 1),
    ("refund to paypal or store credit", "refund-methods", 1),
    ("who pays the return postage", "return-shipping-costs", 1),
    ("are returns free", "return-shipping-costs", 3),
    ("it arrived broken", "damaged-or-defective", 1),
    ("my item is faulty and doesnt work", "damaged-or-defective", 3),
    ("they sent me the wrong thing", "wrong-item", 1),
    ("my parcel never came", "item-not-received", 1),
    ("package says delivered but i never got it", "item-not-received", 1),
    ("can i return earrings or underwear", "non-returnable-items", 1),
    ("my laptop stopped working after 6 months", "repair-warranty", 1),
    ("bought from a third party seller who wont answer", "marketplace-guarantee", 1),
    ("someone gave me a present in the wrong size", "gift-returns", 3),
    ("why did i get less money back than i paid", "partial-refund", 1),
    ("where is my return", "track-return", 1),
    ("cancel my order", "cancel-order", 1),
    ("what size shoe should i buy", "size-guide", 1),
    ("talk to a human agent", "contact-support", 1),
]

FR: list[tuple[str, str, int]] = [
    ("combien de jours pour renvoyer un article", "return-window", 3),
    ("delai de retour", "return-window", 1),
    ("je veux renvoyer un article", "start-a-return", 3),
    ("comment faire un retour", "start-a-return", 1),
    ("ou trouver mon etiquette de retour", "return-shipping-label", 1),
    ("pas d'imprimante pour le bon de retour", "return-shipping-label", 1),
    ("rapporter en magasin", "return-in-store", 1),
    ("je peux rendre l'article en boutique", "return-in-store", 1),
    ("j'ai perdu mon ticket de caisse", "return-without-receipt", 1),
    ("retour sans numero de commande", "return-without-receipt", 1),
    ("echanger contre une taille au dessus", "exchange", 3),
    ("trop petit je veux une autre taille", "exchange", 3),
    ("rembourssement pas recu", "refund-timing", 1),
    ("quand vais je etre rembourse", "refund-timing", 1),
    ("remboursement sur paypal ou en avoir", "refund-methods", 1),
    ("le retour est il payant", "return-shipping-costs", 1),
    ("frais de port du retour", "return-shipping-costs", 3),
    ("article casse a la livraison", "damaged-or-defective", 1),
    ("mon produit ne fonctionne pas", "damaged-or-defective", 1),
    ("j'ai recu le mauvais article", "wrong-item", 1),
    ("mon colsi n'est jamais arrive", "item-not-received", 1),
    ("colis perdu", "item-not-received", 1),
    ("peut on retourner une carte cadeau", "non-returnable-items", 3),
    ("mon grille pain est tombe en panne", "repair-warranty", 1),
    ("vendeur tiers marketplace litige", "marketplace-guarantee", 1),
    ("rendre un cadeau qu'on m'a offert", "gift-returns", 1),
    ("pourquoi on m'a rembourse moins que prevu", "partial-refund", 1),
    ("ou en est mon retour", "track-return", 1),
    ("annuler ma comande", "cancel-order", 1),
    ("quelle pointure choisir", "size-guide", 1),
    ("parler a un conseiller", "contact-support", 1),
    # Typos in a word's last letters, where they also spoil its stemming.
    ("remboursment pas recu", "refund-timing", 1),
    ("produit defectueus", "damaged-or-defective", 1),
    ("demande de reparasion", "repair-warranty", 1),
    ("echanje de taille", "exchange", 1),
    ("fraix de retour", "return-shipping-costs", 1),
    ("colis jamais arriver", "item-not-received", 1),
]

# (query with a typo near a word's end, the did-you-mean offered)
FR_ENDINGS: list[tuple[str, str]] = [
    ("remboursment", "remboursement"),
    ("produit defectueus", "produit défectueux"),
    ("demande de reparasion", "demande de réparation"),
    ("echanje de taille", "échange de taille"),
    ("fraix de retour", "frais de retour"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """The real articles, indexed once for this module."""
    docs = load_docs()
    present = keys_by_lang(docs)
    # A missing or broken article must fail these tests, never quietly skip them.
    assert min(len(present.get("en", ())), len(present.get("fr", ()))) >= 21, present
    ix = SearchIndex(tmp_path_factory.mktemp("relevance") / "index")
    ix.rebuild(docs)
    yield ix


def test_there_are_enough_queries() -> None:
    assert len(EN) >= 25 and len(FR) >= 25


@pytest.mark.parametrize(("query", "key", "rank"), EN, ids=[q for q, _, _ in EN])
def test_english_queries(index: SearchIndex, query: str, key: str, rank: int) -> None:
    got = [h.key for h in index.search(query, "en", limit=rank).hits]
    assert key in got, f"{query!r}: expected {key} in the top {rank}, got {got}"


@pytest.mark.parametrize(("query", "key", "rank"), FR, ids=[q for q, _, _ in FR])
def test_french_queries(index: SearchIndex, query: str, key: str, rank: int) -> None:
    got = [h.key for h in index.search(query, "fr", limit=rank).hits]
    assert key in got, f"{query!r}: expected {key} in the top {rank}, got {got}"


@pytest.mark.parametrize(("query", "suggestion"), FR_ENDINGS, ids=[q for q, _ in FR_ENDINGS])
def test_french_typos_at_the_end_of_a_word_are_corrected(
    index: SearchIndex, query: str, suggestion: str
) -> None:
    result = index.search(query, "fr")
    assert (result.suggestion, result.corrected) == (suggestion, True)
    assert result.hits


@pytest.mark.parametrize(
    ("typed", "lang", "key"),
    [("refnud", "en", "refund-timing"), ("echange tai", "fr", "exchange"),
     ("my parcel nev…", "en", "item-not-received"), ("lost my reciept", "en", "return-without-receipt"),
     ("colis jamais arr", "fr", "item-not-received")],
)
def test_suggestions_as_the_shopper_types_survive_typos(
    index: SearchIndex, typed: str, lang: str, key: str
) -> None:
    assert key in [k for k, _, _ in index.suggest(typed, lang, limit=6)]


def test_a_typed_word_is_read_as_the_closest_indexed_word(index: SearchIndex) -> None:
    # "receit" is one letter from "receipt" and from "receive": the one keeping every typed
    # letter wins, so the receiving articles are not suggested.
    assert [k for k, _, _ in index.suggest("receit", "en")] == ["return-without-receipt"]
