"""Full-text search of the knowledge base: one function in front of two engines.

PostgreSQL: a generated `tsvector` column per translation (text-search configurations
`sportello_it|en|es` = the language's Snowball stemmer after `unaccent`) with a GIN index.
SQLite: one FTS5 table per language (`unicode61 remove_diacritics 2`) holding the same
Snowball stems, computed here in Python, so both engines find the same articles.
Snippets and highlights are made here too, the same way for both.
"""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import snowballstemmer
from django.db import connection
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import LANGUAGE_CODES, Article, ArticleTranslation

STEMMERS = {"it": "italian", "en": "english", "es": "spanish"}
PG_CONFIGS = {code: f"sportello_{code}" for code in STEMMERS}
WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 32
# A ticket being written has many words; ranking every article that shares any of them is
# what makes suggestions slow. The longest words are the telling (and rarer) ones.
ANY_WORD_TERMS = 6
SNIPPET_WORDS = 32
TITLE_WEIGHT = 10.0


def fts_table(language: str) -> str:
    return f"kb_search_{language}"


def unaccent(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


@cache
def stopwords(language: str) -> frozenset[str]:
    path = Path(__file__).parent / "stopwords" / f"{language}.txt"
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines())


@cache
def _stemmer(language: str):
    return snowballstemmer.stemmer(STEMMERS.get(language, "italian"))


@lru_cache(maxsize=100_000)
def stem(word: str, language: str) -> str | None:
    """What PostgreSQL's configuration makes of a word: lower case, no accents, no stop
    words, Snowball stem. None for a stop word."""
    word = unaccent(word.lower())
    if word in stopwords(language):
        return None
    return _stemmer(language).stemWord(word)


def terms(text: str, language: str) -> list[str]:
    """The distinct stems of a text, in order."""
    seen: dict[str, None] = {}
    for match in WORD.finditer(text or ""):
        stemmed = stem(match.group(), language)
        if stemmed:
            seen.setdefault(stemmed, None)
    return list(seen)


def telling_words(words: list[str], language: str) -> list[str]:
    """At most ANY_WORD_TERMS words with distinct stems, the longest first chosen, kept in
    their order."""
    by_stem = {}
    for word in words:
        stemmed = stem(word, language)
        if stemmed and stemmed not in by_stem:
            by_stem[stemmed] = word
    chosen = set(sorted(by_stem.values(), key=len, reverse=True)[:ANY_WORD_TERMS])
    return [word for word in by_stem.values() if word in chosen]


def index_text(text: str, language: str) -> str:
    stems = (stem(m.group(), language) for m in WORD.finditer(text or ""))
    return " ".join(s for s in stems if s)


@dataclass
class Hit:
    translation: ArticleTranslation
    score: float
    title_html: SafeString
    snippet_html: SafeString

    @property
    def article(self) -> Article:
        return self.translation.article

    @property
    def url(self) -> str:
        return self.translation.get_absolute_url()


def search(query: str, language: str, *, user=None, limit: int = 10, any_word: bool = False,
           exclude=()) -> list[Hit]:  # fmt: skip
    """Published articles in `language` that `user` may read, best first.

    Every word must match, unless `any_word` (suggestions from a whole ticket text, related
    articles): then articles matching more of the words rank higher."""
    language = language if language in LANGUAGE_CODES else LANGUAGE_CODES[0]
    words = [m.group() for m in WORD.finditer(query or "")][:MAX_TERMS]
    if any_word:
        words = telling_words(words, language)
    stems = terms(" ".join(words), language)
    if not stems:
        return []
    public_only = user is None or not user.is_authenticated
    if connection.vendor == "postgresql":
        ranked = _postgres(words, language, public_only, limit, any_word, exclude)
    else:
        ranked = _sqlite(stems, language, public_only, limit, any_word, exclude)
    translations = (
        ArticleTranslation.objects.select_related("article__category")
        .defer("body", "body_html")
        .in_bulk([pk for pk, _score in ranked])
    )
    ranked = [
        (translations[pk], score)
        for pk, score in ranked
        if pk in translations and translations[pk].article_id not in exclude
    ]
    return [
        Hit(
            translation=translation,
            score=score,
            title_html=highlight(translation.title, stems, language, whole=True),
            snippet_html=highlight(translation.body_text, stems, language),
        )
        for translation, score in ranked[:limit]
    ]


def _postgres(words, language, public_only, limit, any_word, exclude):
    tsquery = (" | " if any_word else " & ").join(words)
    sql = [
        "SELECT t.id, ts_rank(t.search_vector, q) AS score",
        "FROM kb_articletranslation t JOIN kb_article a ON a.id = t.article_id,",
        "to_tsquery(%s::regconfig, %s) q",
        "WHERE t.language = %s AND t.status = 'published' AND t.search_vector @@ q",
    ]
    params = [PG_CONFIGS[language], tsquery, language]
    if public_only:
        sql.append("AND a.audience = 'public'")
    if exclude:
        sql.append("AND NOT (a.id = ANY(%s))")
        params.append(list(exclude))
    sql.append("ORDER BY score DESC, t.id LIMIT %s")
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(" ".join(sql), params)
        return cursor.fetchall()


def _sqlite(stems, language, public_only, limit, any_word, exclude):
    # Only published translations are in the index, with their audience as a column, so
    # ranking needs no join; excluded articles are dropped by the caller.
    match = (" OR " if any_word else " AND ").join(f'"{s}"' for s in stems)
    if public_only:
        match = f"({match}) AND visibility:public"
    table = fts_table(language)
    sql = (
        f"SELECT rowid, -bm25({table}, {TITLE_WEIGHT}, 1.0, 0.0) AS score FROM {table} "
        f"WHERE {table} MATCH %s ORDER BY score DESC, rowid LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, limit + len(exclude)])
        return cursor.fetchall()


def highlight(text: str, stems, language: str, *, whole: bool = False) -> SafeString:
    """The text (or a window of it around the first match) with matching words in <mark>."""
    wanted = set(stems)
    return mark_words(text, lambda word: stem(word, language) in wanted, whole=whole, lead=6)


def mark_words(text: str, matches: Callable[[str], bool], *, whole: bool = False,
               window: int = SNIPPET_WORDS, lead: int = 6) -> SafeString:  # fmt: skip
    """`text` escaped, the words `matches` accepts in <mark>; unless `whole`, only a window
    of `window` words starting `lead` words before the first match."""
    text = text or ""
    words = list(WORD.finditer(text))
    hits = [i for i, m in enumerate(words) if matches(m.group())]
    start, end = 0, len(text)
    if not whole and len(words) > window:
        first = max(0, (hits[0] if hits else 0) - lead)
        last = min(len(words), first + window)
        start = words[first].start() if first else 0
        end = words[last - 1].end() if last < len(words) else len(text)
    marked = set(hits)
    out: list[str] = []
    cursor = start
    for i, m in enumerate(words):
        if i in marked and m.start() >= start and m.end() <= end:
            out.append(escape(text[cursor : m.start()]))
            out.append(f"<mark>{escape(m.group())}</mark>")
            cursor = m.end()
    out.append(escape(text[cursor:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(out).strip() + suffix)


# --- keeping the SQLite index in step (PostgreSQL's column is generated) -----------------


def index_translations(translations) -> None:
    """(Re)write the FTS rows of these translations: published ones are indexed with their
    article's audience, the others removed. A no-op on PostgreSQL."""
    if connection.vendor != "sqlite":
        return
    translations = list(translations)
    by_language: dict[str, list] = {}
    for translation in translations:
        if not translation.is_published:
            continue
        by_language.setdefault(translation.language, []).append(
            (
                translation.pk,
                index_text(translation.title, translation.language),
                index_text(translation.body_text, translation.language),
                translation.article.audience,
            )
        )
    with connection.cursor() as cursor:
        for code in LANGUAGE_CODES:  # a translation may have changed language or state
            cursor.executemany(
                f"DELETE FROM {fts_table(code)} WHERE rowid = %s",
                [(translation.pk,) for translation in translations],
            )
        for language, rows in by_language.items():
            cursor.executemany(
                f"INSERT INTO {fts_table(language)} (rowid, title, body, visibility) "
                "VALUES (%s, %s, %s, %s)",
                rows,
            )


def unindex_translation(pk: int) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for code in LANGUAGE_CODES:
            cursor.execute(f"DELETE FROM {fts_table(code)} WHERE rowid = %s", [pk])


def drop_orphans(using: str = "default") -> None:
    """Remove index rows whose translation is gone without a delete signal (a `flush`, as
    tests do between transactional runs, or raw SQL)."""
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return
    tables = set(conn.introspection.table_names())
    with conn.cursor() as cursor:
        for code in LANGUAGE_CODES:
            if fts_table(code) not in tables:  # migrated back before the index
                continue
            cursor.execute(
                f"DELETE FROM {fts_table(code)} WHERE rowid NOT IN "
                "(SELECT id FROM kb_articletranslation WHERE status = 'published')"
            )


def rebuild_index() -> int:
    """Index every translation again (after a bulk load that skipped the signals)."""
    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        for code in LANGUAGE_CODES:
            cursor.execute(f"DELETE FROM {fts_table(code)}")
    count = 0
    queryset = ArticleTranslation.objects.published().select_related("article")
    batch = []
    for translation in queryset.iterator(chunk_size=2000):
        batch.append(translation)
        if len(batch) == 2000:
            index_translations(batch)
            count += len(batch)
            batch = []
    index_translations(batch)
    return count + len(batch)
