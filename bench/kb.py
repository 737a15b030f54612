"""Time knowledge-base search over 10,000 articles in three languages (30,000 texts).

    .venv/bin/python bench/kb.py --sqlite /tmp/bench-kb.sqlite3
    .venv/bin/python bench/kb.py                                    # PostgreSQL

Texts are drawn with a Zipf frequency (rank r has weight 1/r) from a vocabulary shaped like
real text: the language's stop words first (the most frequent words of any language, and
dropped by the search), then the starter articles' own words, then a long tail of made-up
words. The most common content words thus occur in thousands of articles, rare ones in a
few. Each query goes through `sportello.kb.search.search` as a page would: ranking in the
database, then the translations fetched and the snippets highlighted in Python.
"""

import argparse
import random
import statistics
import sys
import time

from benchdb import use_database

ARTICLES = 10_000
LANGUAGES = ("it", "en", "es")


def vocabulary(language: str, rng: random.Random) -> list[str]:
    from sportello.kb.search import WORD, stopwords
    from sportello.kb.starter import ARTICLES as STARTER

    words = []
    for spec in STARTER.values():
        title, body = spec[language]
        words.extend(m.group().lower() for m in WORD.finditer(f"{title} {body}"))
    real = list(dict.fromkeys(w for w in words if len(w) > 2))
    syllables = ["ba", "co", "di", "fe", "gu", "la", "mo", "ne", "pi", "ro", "sa", "tu", "ve"]
    made_up = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(6000)}
    stop = sorted(stopwords(language))
    return stop + [w for w in real if w not in stopwords(language)] + sorted(made_up)


def populate(rng: random.Random, articles: int = ARTICLES) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from sportello.kb import search
    from sportello.kb.markup import plain_text, render_markdown
    from sportello.kb.models import Article, ArticleTranslation, Category

    now = timezone.now()
    category = Category.objects.create(slug="bench", name="Bench")
    with transaction.atomic():
        Article.objects.bulk_create(
            [Article(slug=f"bench-{n}", category=category) for n in range(articles)],
            batch_size=2000,
        )
    ids = list(Article.objects.order_by("pk").values_list("pk", flat=True))
    for language in LANGUAGES:
        words = vocabulary(language, rng)
        weights = [1 / (rank + 1) for rank in range(len(words))]
        rows = []
        for article_id in ids:
            title = " ".join(rng.choices(words, weights, k=6)).capitalize()
            body = " ".join(rng.choices(words, weights, k=160))
            html = render_markdown(body)
            rows.append(
                ArticleTranslation(
                    article_id=article_id, language=language, title=title, body=body,
                    body_html=html, body_text=plain_text(html),
                    status=ArticleTranslation.Status.PUBLISHED, published_at=now,
                )
            )  # fmt: skip
        with transaction.atomic():
            ArticleTranslation.objects.bulk_create(rows, batch_size=2000)
    search.rebuild_index()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            for language in LANGUAGES:
                cursor.execute(
                    f"INSERT INTO {search.fts_table(language)}({search.fts_table(language)}) "
                    "VALUES ('optimize')"
                )
            cursor.execute("ANALYZE")


def queries(rng: random.Random, language: str, count: int) -> list[tuple[str, bool]]:
    from sportello.kb.search import stopwords

    # People type content words; the frequent ones as often as they occur in the texts.
    ranked = list(enumerate(vocabulary(language, random.Random(1)), start=1))
    content = [(rank, w) for rank, w in ranked if w not in stopwords(language)]
    words = [w for _rank, w in content]
    weights = [1 / rank for rank, _w in content]
    picked = []
    for n in range(count):
        if n % 4 == 3:  # a ticket being written: many words, any may match
            picked.append((" ".join(rng.choices(words, weights, k=10)), True))
        else:  # the search box: one to three words, all must match
            picked.append((" ".join(rng.choices(words, weights, k=rng.randint(1, 3))), False))
    return picked


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", help="SQLite file (default: PostgreSQL)")
    parser.add_argument("--queries", type=int, default=400, help="per language")
    parser.add_argument("--keep", action="store_true", help="reuse the loaded database")
    parser.add_argument("--articles", type=int, default=ARTICLES)
    args = parser.parse_args()
    use_database("sportello_bench_kb", sqlite=args.sqlite, keep=args.keep)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sportello.kb.search import search

    rng = random.Random(7)
    if not args.keep:
        call_command("migrate", verbosity=0)
        started = time.monotonic()
        populate(rng, args.articles)
        print(f"loaded {args.articles} articles x {len(LANGUAGES)} languages "
              f"in {time.monotonic() - started:.1f} s", file=sys.stderr)  # fmt: skip
    print(f"{connection.vendor}: {args.queries} queries per language, limit 10")
    all_times, by_mode = [], {False: [], True: []}
    for language in LANGUAGES:
        times, found = [], 0
        work = queries(rng, language, args.queries)
        for query, any_word in work[:20]:  # warm the caches
            search(query, language, any_word=any_word)
        for query, any_word in work:
            started = time.perf_counter()
            hits = search(query, language, any_word=any_word)
            elapsed = (time.perf_counter() - started) * 1000
            times.append(elapsed)
            by_mode[any_word].append(elapsed)
            found += bool(hits)
        all_times.extend(times)
        print(
            f"{language}: p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 95):.1f}"
            f" ms, max {max(times):.1f} ms; {found}/{len(work)} queries with results"
        )
    for any_word, label in ((False, "search box (all words)"), (True, "suggestions (any word)")):
        times = by_mode[any_word]
        if not times:
            continue
        print(f"{label}: p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 95):.1f} ms")
    print(f"all: p50 {statistics.median(all_times):.1f} ms, p95 {percentile(all_times, 95):.1f} ms")


if __name__ == "__main__":
    main()
