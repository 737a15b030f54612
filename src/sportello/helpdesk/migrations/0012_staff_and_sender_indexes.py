"""Indexes on the logins for the help desk's two look-ups that must not grow with the
number of clients (every client is a login too):

- the staff of a department, the assignees of a ticket: a partial index of the staff only;
- the sender of an inbound message, found ignoring case: Django's `iexact` on PostgreSQL
  compares UPPER(email), which this expression index serves (SQLite likewise for
  UPPER(email) = UPPER(%s)).

Written as SQL in the help desk's migrations, which own these look-ups; the same statement
works on PostgreSQL and SQLite.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_news_by_email"),
        ("helpdesk", "0011_desk_configuration"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX helpdesk_login_staff ON accounts_user (id) WHERE is_staff",
            "DROP INDEX helpdesk_login_staff",
        ),
        migrations.RunSQL(
            "CREATE INDEX helpdesk_login_email_upper ON accounts_user (UPPER(email))",
            "DROP INDEX helpdesk_login_email_upper",
        ),
    ]
