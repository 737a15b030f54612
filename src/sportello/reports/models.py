"""Day totals of the fiscal documents, kept in the transaction that numbers them (see
sales.py): a report sums a few hundred rows for a year, never the year's invoice lines."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RevenueDay(models.Model):
    """Net of the lines of the documents numbered on `day`, by the product type their
    service had then ("other" for a line with no service) and by kind (credit notes are
    kept apart and subtracted when read)."""

    day = models.DateField(_("day"))
    product_type = models.CharField(_("product type"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20)
    net_cents = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("revenue of a day")
        verbose_name_plural = _("revenue by day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "product_type", "kind"], name="revenue_day_unique"
            )
        ]


class VatDay(models.Model):
    """Taxable and VAT of the documents numbered on `day`, by billing country, VAT
    treatment, kind and rate (in hundredths of a percent). The VAT of each document and rate
    is rounded before it is added, as on the document itself; `documents` counts the
    (document, rate) pairs."""

    day = models.DateField(_("day"))
    country = models.CharField(_("country"), max_length=2)
    vat_note = models.CharField(_("VAT treatment"), max_length=30)
    kind = models.CharField(_("kind"), max_length=20)
    rate_bp = models.IntegerField()
    net_cents = models.BigIntegerField(default=0)
    vat_cents = models.BigIntegerField(default=0)
    documents = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("VAT of a day")
        verbose_name_plural = _("VAT by day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "country", "vat_note", "kind", "rate_bp"], name="vat_day_unique"
            )
        ]
