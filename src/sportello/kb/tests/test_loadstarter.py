"""`sportello loadstarter` fills the knowledge base of a real install, once."""

import pytest
from django.core.management import call_command

from sportello.accounts.models import User
from sportello.kb.models import Article, ArticleTranslation

pytestmark = pytest.mark.django_db


def test_loadstarter_loads_the_starter_articles_once_without_demo_logins(capsys):
    call_command("loadstarter", "--language", "it")
    articles = Article.objects.count()
    assert articles >= 7
    assert set(ArticleTranslation.objects.values_list("language", flat=True)) == {"it"}
    assert not User.objects.exists()

    call_command("loadstarter", "--language", "it")
    assert Article.objects.count() == articles
    assert "0 articles and 0 translations added." in capsys.readouterr().out

    call_command("loadstarter")  # the other languages are added to the same articles
    assert Article.objects.count() == articles
    assert ArticleTranslation.objects.count() == 3 * articles
    # The seeds' mail settings are there: IMAP 143 and SMTP 587 with STARTTLS.
    mail_settings = ArticleTranslation.objects.filter(language="en", body__contains="587")
    assert mail_settings.filter(body__contains="143").exists()


def test_an_unknown_language_is_refused_in_one_line():
    import subprocess
    import sys

    from sportello.testing import database_env

    result = subprocess.run(
        [sys.executable, "-m", "sportello.cli", "loadstarter", "--language", "fr"],
        capture_output=True, text=True, timeout=60, env=database_env(),
    )  # fmt: skip
    assert result.returncode != 0
    assert len([line for line in result.stderr.splitlines() if line.strip()]) <= 2
