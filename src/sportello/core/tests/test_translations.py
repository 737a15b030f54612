"""Every message of the it and es catalogues is translated (en is the source language)."""

import re
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


# Words only the other register uses: Italian speaks to the reader with tu, Spanish with
# usted (as the Spanish reference page). A new string in the wrong one fails here.
OTHER_REGISTER = {
    "it": r"\b(Lei|La preghiamo|La invitiamo|Suo|Sua|Suoi|Sue)\b",
    "es": r"\b(tú|tu|tus|ti|contigo|puedes|tienes|quieres|debes|eres|estás|has|hayas|te)\b",
}


@pytest.mark.parametrize("language", ["it", "es"])
def test_catalogue_speaks_to_the_reader_in_one_register(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.po", "rb") as po:
        catalog = read_po(po)
    pattern = re.compile(OTHER_REGISTER[language])
    strings = (
        text
        for message in catalog
        if message.id
        for text in (message.string if isinstance(message.string, tuple) else (message.string,))
    )
    other = [text for text in strings if pattern.search(re.sub(r"<[^>]*>|%\(\w+\)s", "", text))]
    assert other == [], f"{len(other)} in the other register: {other[:5]}"
