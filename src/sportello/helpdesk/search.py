"""The desk's ticket search: one function in front of two engines, as the knowledge base's.

What is typed decides the look-up:
- a ticket code: that ticket (the desk then opens it);
- an email address: the tickets of the client with that login (`UPPER(email)` index);
- a domain: the tickets about a service of that name, and those of its client
  (`LOWER(name)` index);
- anything else, or an address or domain nobody has: the words, every one of them, in a
  message's text or the ticket's subject (full text), or in the client's name.

Full text: PostgreSQL's generated `tsvector` columns with GIN indexes (configuration
`sportello_simple`: no stemming, no accents, any language), SQLite's FTS5 tables
(`unicode61 remove_diacritics 2`); see migration 0016. The last word, of three letters or more,
also matches as a prefix ("certific" finds "certificato"). Only the newest CANDIDATES matches of
each kind are ranked, so a word in every message costs what a rare one does; the best
LIMIT tickets are shown, and a search with more asks to be refined.

Only tickets the staff member may see are looked at (the queue's department rule).
"""

import re
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils.html import escape
from django.utils.safestring import SafeString

from sportello.accounts.models import Client, User
from sportello.core.params import to_search
from sportello.kb.search import WORD, mark_words, unaccent
from sportello.services.models import Service

from .models import Message, Ticket

LIMIT = 50
CANDIDATES = 500
MAX_TERMS = 8
MAX_QUERY = 200
PREFIX_FROM = 3
SNIPPET_WORDS = 30
# The part of a message read for its snippet: a pasted log of megabytes costs no more than
# a long email; a match further on shows the message's beginning, unmarked.
SNIPPET_SCAN_CHARS = 20_000
CLIENTS = 20
# A code as written on tickets (see inbound.CODE) or any other exact code: letters, digits
# and hyphens, with a digit and a hyphen.
CODE_LIKE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{2,63}")
DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}", re.I)


@dataclass
class Hit:
    ticket: Ticket
    subject_html: SafeString
    snippet_html: SafeString | str = ""


@dataclass
class Found:
    """A search's outcome: the ticket to open, or the tickets found (best first)."""

    query: str
    kind: str = ""  # "code", "email", "domain", "text"; "" when nothing could be searched
    ticket: Ticket | None = None
    hits: list[Hit] = field(default_factory=list)
    more: bool = False  # there were more than LIMIT
    terms: list[str] = field(default_factory=list)


def normalise(word: str) -> str:
    return unaccent(word.lower())


def words_of(query: str) -> list[str]:
    """The distinct words searched for, lower case and without accents, as the indexes
    hold them."""
    seen: dict[str, None] = {}
    for match in WORD.finditer(query):
        seen.setdefault(normalise(match.group()), None)
    return list(seen)[:MAX_TERMS]


def is_prefix(term: str, terms: list[str]) -> bool:
    """The last word, as typed so far, also matches as the beginning of longer words; the
    others only whole (a common word as a prefix would make the index read all its
    forms)."""
    return term == terms[-1] and len(term) >= PREFIX_FROM


def department_ids(user) -> list[int] | None:
    """The departments whose tickets `user` sees; None for all (administrators)."""
    if user.is_admin:
        return None
    return list(user.departments.values_list("id", flat=True))


def search(user, raw_query) -> Found:
    query = to_search(raw_query, MAX_QUERY)
    found = Found(query=query)
    if not query:
        return found
    visible = Ticket.objects.visible_to_staff(user)
    if len(query) <= 20 and CODE_LIKE.fullmatch(query) and any(c.isdigit() for c in query):
        ticket = visible.filter(code=query.upper()).first()
        if ticket is not None:
            found.kind, found.ticket = "code", ticket
            return found
    if EMAIL.fullmatch(query):
        logins = User.objects.alias(upper_email=Upper("email")).filter(upper_email=query.upper())
        owners = list(logins.values_list("id", flat=True)[:10])
        if owners:
            found.kind = "email"
            return _listed(found, visible.filter(client__owner_id__in=owners))
    if len(query) <= 253 and DOMAIN.fullmatch(query):
        services = list(
            Service.objects.alias(lower_name=Lower("name"))
            .filter(lower_name=query.lower())
            .values_list("id", "client_id")[:100]
        )
        if services:
            found.kind = "domain"
            # Literal lists, not subqueries: each side then reads its own index.
            service_ids = [pk for pk, _client in services]
            client_ids = list({client for _pk, client in services})
            return _listed(
                found, visible.filter(Q(service_id__in=service_ids) | Q(client_id__in=client_ids))
            )
    terms = words_of(query)
    if not terms:
        return found
    found.kind, found.terms = "text", terms
    departments = department_ids(user)
    if departments == []:
        return found
    if connection.vendor == "postgresql":
        scores, best_message = _postgres(terms, departments)
    else:
        scores, best_message = _sqlite(terms, departments, query)
    ranked = sorted(scores, key=lambda pk: (-scores[pk], -pk))
    found.more = len(ranked) > LIMIT
    ranked = ranked[:LIMIT]
    tickets = visible.select_related("client", "department", "service").in_bulk(ranked)
    snippets = dict(
        Message.objects.filter(pk__in=[best_message[pk] for pk in ranked if pk in best_message])
        .values_list("ticket_id", "body")
    )  # fmt: skip
    for pk in ranked:
        ticket = tickets.get(pk)
        if ticket is None:
            continue
        found.hits.append(
            Hit(
                ticket,
                highlight(ticket.subject, terms, whole=True),
                highlight(snippets[pk], terms) if pk in snippets else "",
            )
        )
    return found


def _listed(found: Found, tickets) -> Found:
    rows = list(
        tickets.select_related("client", "department", "service").order_by(
            "-last_activity_at", "-id"
        )[: LIMIT + 1]
    )
    found.more = len(rows) > LIMIT
    found.hits = [Hit(ticket, escape(ticket.subject)) for ticket in rows[:LIMIT]]
    return found


def _merge(scores: dict, best_message: dict, rows, weight: float, with_message: bool) -> None:
    for row in rows:
        ticket_id, score = row[0], float(row[-1]) * weight
        if with_message and ticket_id not in best_message:
            best_message[ticket_id] = row[1]  # rows come best first
        scores[ticket_id] = max(scores.get(ticket_id, 0.0), score)


def _postgres(terms: list[str], departments):
    # Quoted: a word holds letters and digits only, never a quote or an operator.
    tsquery = " & ".join(f"'{term}':*" if is_prefix(term, terms) else f"'{term}'" for term in terms)
    restrict, params = "", [tsquery]
    if departments is not None:
        restrict, params = "AND t.department_id = ANY(%s)", [tsquery, departments]
    scores: dict[int, float] = {}
    best_message: dict[int, int] = {}
    config = "'sportello_simple'::regconfig"
    message_order = _newest_first("helpdesk_message", "m", terms)
    ticket_order = _newest_first("helpdesk_ticket", "t", terms)
    with transaction.atomic(), connection.cursor() as cursor:
        # PostgreSQL cannot estimate a prefix match and assumes one row in fifty, 200,000
        # messages at ten million: it then plans a hash join over every ticket or two
        # parallel workers, and compiles the plan (JIT), 25–260 ms for a word in 2,000
        # messages. Looking up each match's ticket is right at any count the search reads.
        cursor.execute(
            "SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0; "
            "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
        )
        # The newest matches, then ranked.
        cursor.execute(
            f"""
            SELECT hit.ticket_id, hit.id, ts_rank(hit.search_vector, hit.q) AS score FROM (
                SELECT m.ticket_id, m.id, m.search_vector, q
                FROM helpdesk_message m JOIN helpdesk_ticket t ON t.id = m.ticket_id,
                     to_tsquery({config}, %s) q
                WHERE m.search_vector @@ q {restrict}
                ORDER BY {message_order} LIMIT {CANDIDATES}) hit
            ORDER BY score DESC, hit.id DESC
            """,
            params,
        )
        _merge(scores, best_message, cursor.fetchall(), 1.0, with_message=True)
        cursor.execute(
            f"""
            SELECT t.id, ts_rank(t.search_vector, q)
            FROM helpdesk_ticket t, to_tsquery({config}, %s) q
            WHERE t.search_vector @@ q {restrict}
            ORDER BY {ticket_order} LIMIT {CANDIDATES}
            """,
            params,
        )
        _merge(scores, best_message, cursor.fetchall(), 2.0, with_message=False)
        # The same expression as the index `helpdesk_client_name_search`. Planned apart
        # from its LIMIT (a materialised CTE): with the limit in view PostgreSQL guesses a
        # prefix match is common and scans the clients computing each name's vector, 240 ms
        # at 100,000 clients for a word no name holds; the index reads only the matches.
        cursor.execute(
            f"""
            WITH matching AS MATERIALIZED (
                SELECT c.id FROM accounts_client c, to_tsquery({config}, %s) q
                WHERE to_tsvector({config}, translate(left(name || ' ' || company_name, 100000),
                                  '<>./@:_', '       ')) @@ q)
            SELECT id FROM matching LIMIT {CLIENTS}
            """,
            [tsquery],
        )
        clients = [row[0] for row in cursor.fetchall()]
    _add_clients(scores, clients, departments)
    return scores, best_message


STATS_SECONDS = 600
_stats: dict[str, tuple[float, float, dict[str, float]]] = {}


def _frequencies(table: str) -> tuple[float, dict[str, float]]:
    """A table's estimated rows and the most common words of its index with the share of
    rows holding each, from PostgreSQL's statistics (ANALYZE), read again every
    STATS_SECONDS."""
    now = time.monotonic()
    cached = _stats.get(table)
    if cached and now - cached[0] < STATS_SECONDS:
        return cached[1], cached[2]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs "
            "FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = c.relname "
            "AND s.attname = 'search_vector' AND s.schemaname = current_schema() "
            "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace",
            [table],
        )
        row = cursor.fetchone()
    rows = float(row[0]) if row and row[0] and row[0] > 0 else 0.0
    frequencies = dict(zip(row[1], row[2], strict=False)) if row and row[1] else {}
    _stats[table] = (now, rows, frequencies)
    return rows, frequencies


def _newest_first(table: str, alias: str, terms: list[str]) -> str:
    """The ORDER BY for a table's newest matches. PostgreSQL cannot estimate how many rows
    a prefix matches, so it is told. Walking the primary key backwards reads about
    CANDIDATES / share rows; the GIN index reads every match, share × rows: the walk is
    cheaper when share ≥ √(CANDIDATES / rows). Otherwise the order is one no index gives
    (`id + 0`), which leaves the GIN index as the way in."""
    rows, frequencies = _frequencies(table)

    def share(term: str) -> float:
        if not is_prefix(term, terms):
            return frequencies.get(term, 0.0)
        return max((f for word, f in frequencies.items() if word.startswith(term)), default=0.0)

    common = (CANDIDATES / rows) ** 0.5 if rows else 1.0
    if min(share(term) for term in terms) >= common:
        return f"{alias}.id DESC"
    return f"{alias}.id + 0 DESC"


def _sqlite(terms: list[str], departments, query: str):
    match = " AND ".join(f'"{term}"*' if is_prefix(term, terms) else f'"{term}"' for term in terms)
    restrict, params = "", [match]
    if departments is not None:
        restrict = f"AND t.department_id IN ({', '.join('%s' for _ in departments)})"
        params += departments
    scores: dict[int, float] = {}
    best_message: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT * FROM (
                SELECT m.ticket_id, m.id, -bm25(helpdesk_message_fts) AS score
                FROM helpdesk_message_fts f JOIN helpdesk_message m ON m.id = f.rowid
                JOIN helpdesk_ticket t ON t.id = m.ticket_id
                WHERE helpdesk_message_fts MATCH %s {restrict}
                ORDER BY f.rowid DESC LIMIT {CANDIDATES})
            ORDER BY score DESC, id DESC
            """,
            params,
        )
        _merge(scores, best_message, cursor.fetchall(), 1.0, with_message=True)
        cursor.execute(
            f"""
            SELECT t.id, -bm25(helpdesk_ticket_fts)
            FROM helpdesk_ticket_fts f JOIN helpdesk_ticket t ON t.id = f.rowid
            WHERE helpdesk_ticket_fts MATCH %s {restrict}
            ORDER BY f.rowid DESC LIMIT {CANDIDATES}
            """,
            params,
        )
        _merge(scores, best_message, cursor.fetchall(), 2.0, with_message=False)
    clients = Client.objects.all()
    for match_word in WORD.findall(query)[:MAX_TERMS]:
        clients = clients.filter(
            Q(name__icontains=match_word) | Q(company_name__icontains=match_word)
        )
    _add_clients(scores, list(clients.values_list("id", flat=True)[:CLIENTS]), departments)
    return scores, best_message


def _add_clients(scores: dict, clients: list[int], departments) -> None:
    """The latest tickets of clients whose name matched, ranked above word matches (the
    scores of those stay well below one)."""
    if not clients:
        return
    tickets = Ticket.objects.filter(client_id__in=clients)
    if departments is not None:
        tickets = tickets.filter(department_id__in=departments)
    for pk in tickets.order_by("-last_activity_at", "-id").values_list("id", flat=True)[:LIMIT]:
        scores[pk] = scores.get(pk, 0.0) + 1.0


def highlight(text: str, terms: list[str], *, whole: bool = False) -> SafeString:
    """The text (or a window of it around the first match) with matching words in <mark>."""
    text = text or ""
    if not whole:
        text = text[:SNIPPET_SCAN_CHARS]

    def matches(word: str) -> bool:
        word = normalise(word)
        return any(
            word == term or (is_prefix(term, terms) and word.startswith(term)) for term in terms
        )

    return mark_words(text, matches, whole=whole, window=SNIPPET_WORDS, lead=8)
