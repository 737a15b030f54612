"""Every message of the it and es catalogues is translated (en is the source language)."""

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

LOCALE = Path(__file__).resolve().parents[2] / "locale"


@pytest.mark.parametrize("language", ["it", "es"])
def test_catalogue_is_complete(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as po:
        catalog = read_po(po)
    missing = [
        message.id
        for message in catalog
        if message.id
        and (
            message.fuzzy
            or not (all(message.string) if isinstance(message.string, tuple) else message.string)
        )
    ]
    assert missing == [], f"{len(missing)} untranslated in {language}: {missing[:10]}"


def test_catalogues_are_compiled():
    for language in ["it", "es", "en"]:
        assert (LOCALE / language / "LC_MESSAGES" / "django.mo").exists(), language
