"""Texts a provider writes once per language (product names, coupon announcements).

The plain field (`name`) holds the text in the site's default language, Italian; a field per
other language (`name_en`, `name_es`) holds its translation and may stay empty, in which case
the default text is shown. `localized(obj, "name")` picks the one for the active language, so
pages, PDFs and emails rendered in the client's language all show the client's text.
"""

from django.conf import settings
from django.utils.translation import get_language


def localized(obj: object, field: str, language: str | None = None) -> str:
    code = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
    if code != settings.LANGUAGE_CODE:
        translated = getattr(obj, f"{field}_{code}", "")
        if translated:
            return str(translated)
    return str(getattr(obj, field))
