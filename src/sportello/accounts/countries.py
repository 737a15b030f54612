from babel import Locale
from django.utils.translation import get_language

# Countries offered first: where the provider's clients mostly are.
FIRST = ["IT", "ES", "SM", "CH", "FR", "DE", "AT"]


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166 countries named in the active language."""
    locale = Locale.parse((get_language() or "it").replace("-", "_"))
    names = {
        code: name
        for code, name in locale.territories.items()
        if len(code) == 2 and code.isalpha() and code not in {"ZZ", "QO", "EU", "EZ", "UN"}
    }
    first = [(c, names[c]) for c in FIRST]
    rest = sorted(((c, n) for c, n in names.items() if c not in FIRST), key=lambda cn: cn[1])
    return first + [("", "──────────")] + rest


def country_name(code: str) -> str:
    locale = Locale.parse((get_language() or "it").replace("-", "_"))
    return locale.territories.get(code, code)
