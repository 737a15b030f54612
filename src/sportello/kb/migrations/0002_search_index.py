"""The full-text index, per database: a generated tsvector with a GIN index on PostgreSQL,
one FTS5 table per language on SQLite (filled by `sportello.kb.search`)."""

from django.db import migrations

LANGUAGES = {"it": "italian", "en": "english", "es": "spanish"}


def words(column: str) -> str:
    # Split where Python's search splits too: the parser would otherwise keep "<script>" as
    # a tag (skipped) and "mxtoolbox.com" or "info@example.it" as one token, which a
    # search for "mxtoolbox" would not find.
    return f"translate({column}, '<>./@:_', '       ')"


def create(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        for code, stemmer in LANGUAGES.items():
            execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS sportello_{code}")
            execute(f"CREATE TEXT SEARCH CONFIGURATION sportello_{code} (COPY = pg_catalog.{stemmer})")
            execute(
                f"ALTER TEXT SEARCH CONFIGURATION sportello_{code} ALTER MAPPING FOR "
                f"asciiword, asciihword, hword_asciipart, word, hword, hword_part "
                f"WITH unaccent, {stemmer}_stem"
            )
        config = " ".join(
            f"WHEN '{code}' THEN 'sportello_{code}'::regconfig" for code in LANGUAGES
        )
        config = f"(CASE language {config} ELSE 'simple'::regconfig END)"
        execute(
            "ALTER TABLE kb_articletranslation ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS (setweight(to_tsvector({config}, {words('title')}), 'A') || "
            f"setweight(to_tsvector({config}, {words('body_text')}), 'D')) STORED"
        )
        execute(
            "CREATE INDEX kb_articletranslation_search ON kb_articletranslation "
            "USING GIN (search_vector)"
        )
    elif schema_editor.connection.vendor == "sqlite":
        for code in LANGUAGES:
            execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS kb_search_{code} USING fts5("
                "title, body, visibility, tokenize = 'unicode61 remove_diacritics 2')"
            )


def drop(apps, schema_editor):
    execute = schema_editor.execute
    if schema_editor.connection.vendor == "postgresql":
        execute("DROP INDEX IF EXISTS kb_articletranslation_search")
        execute("ALTER TABLE kb_articletranslation DROP COLUMN IF EXISTS search_vector")
        for code in LANGUAGES:
            execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS sportello_{code}")
    elif schema_editor.connection.vendor == "sqlite":
        for code in LANGUAGES:
            execute(f"DROP TABLE IF EXISTS kb_search_{code}")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
