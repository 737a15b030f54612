"""The desk's ticket search index, per database (read by `sportello.helpdesk.search`).

PostgreSQL: a generated `tsvector` on each message's text and each ticket's subject, with
GIN indexes, and a GIN expression index on the client's names. Tickets are written in
Italian, English and Spanish, often mixed in one thread, so the configuration
`sportello_simple` does not stem: it lower-cases and drops accents (`unaccent`, as the
knowledge base's configurations do), and a word is found in any language.
SQLite: FTS5 external-content tables over the same columns (`unicode61 remove_diacritics
2`: lower case, no accents), kept in step by triggers.

Existing rows are indexed here: the generated columns are computed as they are added, the
FTS5 tables are rebuilt from their content tables. Lower-case service names and upper-case
login emails are indexed for the exact domain and address look-ups.
"""

from django.db import migrations

# Split where Python's search splits too (as the knowledge base does): the parser would
# keep "info@example.it" or "www.example.it" as one token.
SEPARATORS = "translate({column}, '<>./@:_', '       ')"
# A tsvector holds at most 1 MB: a pasted log is indexed by its first 100,000 characters
# instead of refusing the message.
LONGEST = 100_000


def vector(column: str) -> str:
    text = SEPARATORS.format(column=f"left({column}, {LONGEST})")
    return f"to_tsvector('sportello_simple'::regconfig, {text})"


CLIENT_NAMES = "name || ' ' || company_name"
SQLITE_TABLES = {
    # FTS table: (content table, column)
    "helpdesk_message_fts": ("helpdesk_message", "body"),
    "helpdesk_ticket_fts": ("helpdesk_ticket", "subject"),
}


def create(apps, schema_editor):
    execute = schema_editor.execute
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS sportello_simple")
        execute("CREATE TEXT SEARCH CONFIGURATION sportello_simple (COPY = pg_catalog.simple)")
        execute(
            "ALTER TEXT SEARCH CONFIGURATION sportello_simple ALTER MAPPING FOR "
            "asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, "
            "numhword, hword_numpart WITH unaccent, simple"
        )
        execute(
            "ALTER TABLE helpdesk_message ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({vector('body')}) STORED"
        )
        execute("CREATE INDEX helpdesk_message_search ON helpdesk_message USING GIN (search_vector)")
        execute(
            "ALTER TABLE helpdesk_ticket ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({vector('subject')}) STORED"
        )
        execute("CREATE INDEX helpdesk_ticket_search ON helpdesk_ticket USING GIN (search_vector)")
        execute(
            "CREATE INDEX helpdesk_client_name_search ON accounts_client USING GIN "
            f"(({vector(CLIENT_NAMES)}))"
        )
    elif vendor == "sqlite":
        for table, (content, column) in SQLITE_TABLES.items():
            execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5({column}, content='{content}', "
                "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
            )
            execute(
                f"CREATE TRIGGER {table}_insert AFTER INSERT ON {content} BEGIN "
                f"INSERT INTO {table} (rowid, {column}) VALUES (new.id, new.{column}); END"
            )
            execute(
                f"CREATE TRIGGER {table}_delete AFTER DELETE ON {content} BEGIN "
                f"INSERT INTO {table} ({table}, rowid, {column}) "
                f"VALUES ('delete', old.id, old.{column}); END"
            )
            execute(
                f"CREATE TRIGGER {table}_update AFTER UPDATE OF {column} ON {content} BEGIN "
                f"INSERT INTO {table} ({table}, rowid, {column}) "
                f"VALUES ('delete', old.id, old.{column}); "
                f"INSERT INTO {table} (rowid, {column}) VALUES (new.id, new.{column}); END"
            )
            execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
    if vendor in ("postgresql", "sqlite"):
        execute("CREATE INDEX helpdesk_service_name_lower ON services_service (LOWER(name))")


def drop(apps, schema_editor):
    execute = schema_editor.execute
    vendor = schema_editor.connection.vendor
    if vendor in ("postgresql", "sqlite"):
        execute("DROP INDEX IF EXISTS helpdesk_service_name_lower")
    if vendor == "postgresql":
        execute("DROP INDEX IF EXISTS helpdesk_client_name_search")
        execute("ALTER TABLE helpdesk_ticket DROP COLUMN IF EXISTS search_vector")
        execute("ALTER TABLE helpdesk_message DROP COLUMN IF EXISTS search_vector")
        execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS sportello_simple")
    elif vendor == "sqlite":
        for table, (content, _column) in SQLITE_TABLES.items():
            for event in ("insert", "delete", "update"):
                execute(f"DROP TRIGGER IF EXISTS {table}_{event}")
            execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_consent"),
        ("services", "0011_coupons"),
        ("helpdesk", "0016_reply_draft"),
    ]
    operations = [migrations.RunPython(create, drop)]
