"""A year of a busy shop's history, written by PostgreSQL itself (INSERT ... SELECT generate_series).

Values are stored as kb.types stores them (money in hundredths, times as timestamptz). Random
choices come from PostgreSQL's random() after setseed(), so a run repeats the same history.
Help-centre events come in visits, as on the site: a visit starts at some moment of the year in
one language, and its searches, views and votes follow within 20 minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import Connection, text

ORDERS, TICKETS, SEARCHES = 500_000, 1_000_000, 10_000_000  # scale 1.0
CHUNK = 1_000_000  # rows a statement writes at most (and a progress line)
ARTICLE_KEYS = 60
CATEGORIES = ("clothing", "shoes", "electronics", "appliances", "toys", "books", "beauty",
              "sports", "garden", "kitchen", "furniture", "jewellery")
REASONS = ("changed_mind", "wrong_size", "not_as_described", "defective", "damaged_in_transit",
           "wrong_item", "missing_parts", "not_received", "arrived_late", "other")
# Twenty entries each: the weights of the statuses and resolutions.
STATUSES = ("approved",) * 6 + ("refunded",) * 6 + ("exchanged",) * 2 + ("closed",) * 3 \
    + ("needs_review", "declined", "declined")
RESOLUTIONS = ("refund",) * 11 + ("exchange",) * 4 + ("store_credit",) * 3 \
    + ("repair", "guarantee_claim")
WORDS = ("refund where parcel label return exchange size broken late missing card store credit "
         "colis remboursement retour échange taille cassé retard carte magasin avoir délai "
         "warranty repair seller marketplace gift receipt order cancel track damaged").split()

Log = Callable[[str], None]
# The rows of one chunk (the bounds typed: PostgreSQL cannot choose among generate_series's types).
SERIES = "generate_series(CAST(:lo AS integer), CAST(:hi AS integer)) g"


def array(values: tuple[str, ...] | list[str]) -> str:
    """A PostgreSQL text array of constants written in the bench (no outside input)."""
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def key(expression: str) -> str:
    """The article key numbered by an SQL expression (article-00 to article-59)."""
    return f"'article-' || lpad((({expression}) % {ARTICLE_KEYS})::text, 2, '0')"


def in_chunks(conn: Connection, log: Log, table: str, total: int, sql: str,
              **params: object) -> None:
    """Run an INSERT over ``g`` from :lo to :hi, a million rows at a time, with progress."""
    for lo in range(1, total + 1, CHUNK):
        hi = min(lo + CHUNK - 1, total)
        conn.execute(text(sql), {"lo": lo, "hi": hi, **params})
        log(f"  {table}: {hi:,}/{total:,}")


def fill(conn: Connection, scale: float, end: dt.datetime, log: Log) -> None:
    """Write the history: articles, orders, tickets, refunds, sessions, questions, searches,
    article views and votes."""
    orders, tickets = max(10, round(ORDERS * scale)), max(10, round(TICKETS * scale))
    searches = max(10, round(SEARCHES * scale))
    visits = max(1, searches * 155 // 400)  # about four searches, views and votes a visit
    start = end - dt.timedelta(days=365)
    conn.execute(text("SELECT setseed(0.2)"))
    _articles(conn, end)
    log("orders and their lines")
    in_chunks(conn, log, "shop_order", orders, f"""
        INSERT INTO shop_order (id, number, email, placed_at, channel, currency, shipping,
                                created_at, updated_at)
        SELECT g, 'A' || lpad(g::text, 8, '0'), 'shopper' || (g % 30000) || '@example.com',
               :end - random() * interval '365 days',
               ({array(("online",) * 7 + ("store",) * 3 + ("marketplace",) * 3)})[1 + g % 13],
               ({array(("EUR",) * 15 + ("GBP",) * 4 + ("USD",))})[1 + (g * 7) % 20],
               0, :end, :end
        FROM {SERIES}""", end=end)
    # One to three lines an order, with ids computed from the order's (order id * 4 + line).
    in_chunks(conn, log, "order_item", orders, f"""
        INSERT INTO order_item (id, order_id, sku, name, category, quantity, unit_price, final_sale)
        SELECT o.id * 4 + n, o.id, 'SKU-' || lpad(s::text, 5, '0'), 'Product ' || s,
               ({array(CATEGORIES)})[1 + s % {len(CATEGORIES)}], 1 + (o.id + n) % 3,
               (5 + s % 295) * 100 - 1, false
        FROM shop_order o
        CROSS JOIN LATERAL generate_series(1, 1 + o.id % 3) n
        CROSS JOIN LATERAL (SELECT (o.id * 7 + n * 131) % 2000 AS s) k
        WHERE o.id BETWEEN :lo AND :hi""")
    log("tickets, their items and refunds")
    in_chunks(conn, log, "ticket", tickets, f"""
        INSERT INTO ticket (id, reference, token_hash, token_salt, status, kind, order_id, lang,
                            email, reason, channel, resolution, method, note, subject, exception,
                            receiptless, review_reasons_json, exchange_variant, policy_version,
                            currency, estimate_items, estimate_fee, estimate_deduction,
                            estimate_total, created_at, updated_at)
        SELECT g, 'R' || lpad(g::text, 9, '0'), 'h' || g, 'salt',
               ({array(STATUSES)})[1 + floor(random() * 20)::int], 'return', o.id,
               CASE WHEN g % 5 < 3 THEN 'en' ELSE 'fr' END, o.email,
               ({array(REASONS)})[1 + g % {len(REASONS)}], o.channel,
               ({array(RESOLUTIONS)})[1 + floor(random() * 20)::int], 'carrier', '', '', false,
               false, '[]', '', '1', o.currency, 0, 0, 0, 0,
               least(o.placed_at + random() * interval '40 days', :end),
               least(o.placed_at + interval '41 days', :end)
        FROM {SERIES}
        JOIN shop_order o ON o.id = 1 + (g::bigint * 7919) % :orders""", end=end, orders=orders)
    # One line of the order, and a quarter of the tickets a second one when it has one.
    in_chunks(conn, log, "ticket_item", tickets, """
        INSERT INTO ticket_item (ticket_id, order_item_id, sku, quantity, reason, condition,
                                 eligible, value, reserved)
        SELECT t.id, oi.id, oi.sku, oi.quantity, t.reason, 'like_new', true,
               oi.unit_price * oi.quantity, true
        FROM ticket t JOIN order_item oi ON oi.order_id = t.order_id
        WHERE t.id BETWEEN :lo AND :hi
          AND (oi.id = t.order_id * 4 + 1 + t.id % (1 + t.order_id % 3)
               OR (t.id % 4 = 0 AND oi.id = t.order_id * 4 + 1 + (t.id + 1) % (1 + t.order_id % 3)))""")
    conn.execute(text("""
        INSERT INTO refund (ticket_id, order_id, currency, amount, goodwill, method, guarantee,
                            status, created_by, created_at)
        SELECT t.id, t.order_id, t.currency,
               (SELECT coalesce(sum(value), 0) FROM ticket_item WHERE ticket_id = t.id),
               CASE WHEN t.id % 4 = 0 THEN 500 ELSE 0 END, 'card',
               t.resolution = 'guarantee_claim',
               CASE WHEN t.id % 20 = 0 THEN 'pending_confirmation' ELSE 'confirmed' END,
               'agent', least(t.created_at + interval '2 days', :end)
        FROM ticket t
        WHERE t.status IN ('refunded', 'closed') AND t.resolution IN ('refund', 'guarantee_claim')
    """), {"end": end})
    _self_help(conn, log, end, orders, tickets)
    _help_centre(conn, log, start, searches, visits)
    for table in ("article", "shop_order", "order_item", "ticket"):  # ids were given above
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"(SELECT max(id) FROM {table}))"))
    log("analyze")
    conn.execute(text("ANALYZE"))


def _articles(conn: Connection, end: dt.datetime) -> None:
    """Sixty articles in English and French: ids 2k+1 (English) and 2k+2 (French)."""
    conn.execute(text(f"""
        INSERT INTO article (id, key, lang, slug, title, category, tags_json, summary, body,
                             status, revision, needs_translation, legal_review, created_at,
                             updated_at)
        SELECT 2 * k + l, {key('k')}, (ARRAY['en', 'fr'])[l], {key('k')} || '-' || l,
               'Article ' || k, 'returning', '[]', '', '', 'published', 1, false, false, :end, :end
        FROM generate_series(0, {ARTICLE_KEYS - 1}) k CROSS JOIN generate_series(1, 2) l
    """), {"end": end})


def _offered(n: str) -> str:
    return f"json_build_array({key(n + ' * 7')}, {key(n + ' * 7 + 1')}, {key(n + ' * 7 + 2')})::text"


def _opened(n: str) -> str:
    return (f"(CASE {n} % 3 WHEN 0 THEN '[]' WHEN 1 THEN json_build_array({key(n + ' * 7')})::text "
            f"ELSE json_build_array({key(n + ' * 7')}, {key(n + ' * 7 + 1')})::text END)")


def _self_help(conn: Connection, log: Log, end: dt.datetime, orders: int, tickets: int) -> None:
    """A session before each ticket, half as many more deflected or left open, and questions."""
    log("assistant sessions and contact questions")
    selection = """'[{"sku": "SKU", "quantity": 1, "reason": "' || {reason} || '", "condition": "like_new"}]'"""
    reasons = f"({array(REASONS)})[1 + g % {len(REASONS)}]"
    in_chunks(conn, log, "wizard_session (ticket)", tickets, f"""
        INSERT INTO wizard_session (token_hash, order_id, lang, receiptless, selection_json, note,
                                    offered_json, opened_json, offered_at, outcome, visit_id,
                                    created_at, last_seen_at)
        SELECT 't' || t.id, t.order_id, t.lang, false, {selection.replace('{reason}', 't.reason')}, '',
               {_offered('t.id')}, {_opened('t.id')}, t.created_at, 'ticket',
               't' || lpad(to_hex(t.id), 31, '0'), t.created_at - interval '5 minutes',
               t.created_at
        FROM ticket t WHERE t.id BETWEEN :lo AND :hi""")
    # Seven in ten deflected (half of them naming the article), the rest left open.
    in_chunks(conn, log, "wizard_session (self-help)", tickets // 2, f"""
        INSERT INTO wizard_session (token_hash, order_id, lang, receiptless, selection_json, note,
                                    offered_json, opened_json, offered_at, outcome, deflected_key,
                                    visit_id, created_at, last_seen_at)
        SELECT 'd' || g, 1 + (g::bigint * 104729) % :orders,
               CASE WHEN g % 2 = 0 THEN 'en' ELSE 'fr' END, false,
               {selection.replace('{reason}', reasons)}, '',
               {_offered('g')}, {_opened('g')}, s.at,
               CASE WHEN g % 10 < 7 THEN 'deflected' ELSE 'open' END,
               CASE WHEN g % 10 < 7 AND g % 2 = 0 THEN {key('g * 7')} END,
               'd' || lpad(to_hex(g), 31, '0'), s.at, s.at + interval '5 minutes'
        FROM {SERIES}
        CROSS JOIN LATERAL (SELECT :end - random() * interval '365 days' + g * interval '0' AS at) s
    """, end=end, orders=orders)
    in_chunks(conn, log, "contact_request", max(1, tickets // 50), f"""
        INSERT INTO contact_request (token_hash, lang, email, subject, message, order_number,
                                     offered_json, opened_json, outcome, deflected_key, visit_id,
                                     created_at, last_seen_at)
        SELECT 'c' || g, CASE WHEN g % 2 = 0 THEN 'en' ELSE 'fr' END, '', '', '', '',
               {_offered('g')}, {_opened('g')},
               (ARRAY['deflected', 'open', 'ticket'])[1 + g % 3],
               CASE WHEN g % 3 = 0 THEN {key('g * 7')} END,
               'c' || lpad(to_hex(g), 31, '0'), s.at, s.at + interval '5 minutes'
        FROM {SERIES}
        CROSS JOIN LATERAL (SELECT :end - random() * interval '365 days' + g * interval '0' AS at) s
    """, end=end)


def _help_centre(conn: Connection, log: Log, start: dt.datetime, searches: int, visits: int) -> None:
    """Searches (skewed towards a few queries), article views and votes, in visits."""
    log("searches, article views and votes")
    # Each lateral names g: an uncorrelated one would be evaluated once for every row.
    visit = """
        CROSS JOIN LATERAL (SELECT floor(random() * :visits)::bigint + 0 * g AS v) pick
        CROSS JOIN LATERAL (
            SELECT lpad(to_hex(pick.v), 32, '0') AS visit_id,
                   CASE WHEN pick.v % 5 < 3 THEN 'en' ELSE 'fr' END AS lang,
                   :start + (pick.v * 7919 % 31534800) * interval '1 second'
                          + random() * interval '20 minutes' AS at) v"""
    words = f"({array(WORDS)})"
    n = len(WORDS)
    in_chunks(conn, log, "search_log", searches, f"""
        INSERT INTO search_log (query, normalized, lang, results, clicked_key, visit_id, created_at)
        SELECT q.text, q.text, v.lang, r.results, r.clicked, v.visit_id, v.at
        FROM {SERIES} {visit}
        CROSS JOIN LATERAL (SELECT floor(8000 * power(random(), 3))::int + 0 * g AS i) w
        CROSS JOIN LATERAL (
            SELECT {words}[1 + w.i % {n}] || ' ' || {words}[1 + (w.i / {n}) % {n}]
                   || CASE WHEN w.i >= {n * n} THEN ' ' || {words}[1 + (w.i / {n * n}) % {n}]
                      ELSE '' END AS text) q
        CROSS JOIN LATERAL (SELECT random() + 0 * g AS roll) x
        CROSS JOIN LATERAL (
            SELECT CASE WHEN x.roll < 0.15 THEN 0 ELSE 1 + g % 10 END AS results,
                   CASE WHEN x.roll > 0.55 THEN {key('g')} END AS clicked) r
    """, start=start, visits=visits)
    article = "2 * (g % 60) + CASE WHEN v.lang = 'en' THEN 1 ELSE 2 END"
    in_chunks(conn, log, "article_view", searches // 2, f"""
        INSERT INTO article_view (article_id, visit_id, created_at)
        SELECT {article}, v.visit_id, v.at FROM {SERIES} {visit}
    """, start=start, visits=visits)
    in_chunks(conn, log, "vote", max(1, searches // 20), f"""
        INSERT INTO vote (article_id, helpful, visit_id, created_at)
        SELECT {article}, random() < 0.7, v.visit_id, v.at FROM {SERIES} {visit}
    """, start=start, visits=visits)
