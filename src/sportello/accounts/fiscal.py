"""Checks of fiscal identifiers with python-stdnum: codice fiscale, partita IVA, NIF, EU VAT."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.es import nif as es_nif
from stdnum.eu import vat as eu_vat
from stdnum.it import codicefiscale, iva

EU_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}  # fmt: skip

# stdnum writes Greece as EL in VAT numbers.
VAT_PREFIX = {"GR": "EL"}


def clean_fiscal_code(value: str, country: str) -> str:
    """A personal or company tax code: codice fiscale (or partita IVA) in Italy, NIF in Spain."""
    value = value.strip().upper().replace(" ", "")
    if not value:
        return ""
    try:
        if country == "IT":
            if len(value) == 11:
                return iva.validate(value)
            return codicefiscale.validate(value)
        if country == "ES":
            return es_nif.validate(value)
    except stdnum_errors.ValidationError as error:
        raise ValidationError(
            _("This tax code is not valid (%(reason)s).") % {"reason": _reason(error)}
        ) from error
    return value


def clean_vat_number(value: str, country: str) -> str:
    """A VAT number; EU numbers are stored with their country prefix (IT01234567897)."""
    value = value.strip().upper().replace(" ", "").replace(".", "").replace("-", "")
    if not value:
        return ""
    if country in EU_COUNTRIES:
        prefix = VAT_PREFIX.get(country, country)
        if not value.startswith(prefix):
            value = prefix + value
        try:
            return eu_vat.validate(value)
        except stdnum_errors.ValidationError as error:
            raise ValidationError(
                _("This VAT number is not valid for the chosen country (%(reason)s).")
                % {"reason": _reason(error)}
            ) from error
    return value


def _reason(error: stdnum_errors.ValidationError) -> str:
    if isinstance(error, stdnum_errors.InvalidChecksum):
        return _("wrong check digit")
    if isinstance(error, stdnum_errors.InvalidLength):
        return _("wrong length")
    if isinstance(error, stdnum_errors.InvalidFormat):
        return _("wrong format")
    return _("not recognised")


def clean_personal_code(value: str, country: str) -> str:
    """A private person's tax code: the codice fiscale in Italy (a partita IVA is a
    business's), the NIF/NIE in Spain; elsewhere the national number as typed."""
    value = value.strip().upper().replace(" ", "")
    if not value:
        return ""
    if country == "IT" and value.isdigit():
        raise ValidationError(
            _("A person's codice fiscale has 16 letters and digits; an 11-digit number is a "
              "partita IVA: sign up as a company or professional.")
        )  # fmt: skip
    return clean_fiscal_code(value, country)  # the partita IVA ruled out: a codice fiscale


def clean_recipient_code(value: str, length: int = 7) -> str:
    """The SdI recipient code (codice destinatario): 7 letters or digits, 6 for a public
    administration's office code."""
    value = value.strip().upper().replace(" ", "")
    if value and (len(value) != length or not value.isalnum()):
        raise ValidationError(_("The recipient code has %(n)s letters or digits.") % {"n": length})
    return value
