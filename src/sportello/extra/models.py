"""Extra-contract assistance (seed 003): the provider's rate card, the technicians' levels
and skills, and the paid interventions, each tied to one help-desk ticket."""

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sportello.core.models import SettingsRow, TranslatedName
from sportello.core.money import MoneyDigits

MONEY: MoneyDigits = {"max_digits": 10, "decimal_places": 2}


class Level(models.TextChoices):
    JUNIOR = "junior", _("Junior systems engineer")
    SENIOR = "senior", _("Senior systems engineer")


class Band(models.TextChoices):
    """Where an intervention is priced: the band of the moment it starts."""

    ORDINARY = "ordinary", _("Ordinary hours")
    PLANNED = "planned", _("Planned night or holiday work")
    URGENT = "urgent", _("Urgent night or holiday work")
    ON_DUTY = "on_duty", _("Simple help by the on-duty staff")


class Rate(models.Model):
    """One row of the rate card, net of VAT (EXT-2 to EXT-5). Time is billed per started
    slice after the first block, never less than the minimum."""

    band = models.CharField(_("band"), max_length=10, choices=Band.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    first_block_minutes = models.PositiveSmallIntegerField(
        _("first block (minutes)"), default=0, help_text=_("0: no first block.")
    )
    first_block_price = models.DecimalField(_("first block price"), default=0, **MONEY)
    slice_minutes = models.PositiveSmallIntegerField(_("slice (minutes)"), default=30)
    slice_price = models.DecimalField(_("price per started slice"), **MONEY)
    minimum_minutes = models.PositiveSmallIntegerField(_("minimum billed (minutes)"), default=30)
    urgent_fee = models.DecimalField(
        _("fixed urgent fee"),
        default=0,
        help_text=_("Charged once per intervention: always in the urgent band, on request "
                    "in ordinary hours."),
        **MONEY,
    )  # fmt: skip

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rate card")
        ordering = ["band", "level"]
        constraints = [
            models.UniqueConstraint(fields=["band", "level"], name="one_rate_per_band_level"),
            models.CheckConstraint(condition=models.Q(slice_minutes__gt=0), name="slice_positive"),
        ]

    def __str__(self):
        return f"{self.get_band_display()} · {self.get_level_display()}"

    def clean(self):
        if self.first_block_minutes and self.first_block_price <= 0:
            raise ValidationError(_("A first block needs its price."))


class ExtraSettings(SettingsRow):
    class Invoicing(models.TextChoices):
        NEXT_INVOICE = "next", _("On the client's next invoice")
        NOW = "now", _("On an invoice issued at once")

    ordinary_opens_at = models.TimeField(_("ordinary hours from"), default=time(9))
    ordinary_closes_at = models.TimeField(_("ordinary hours to"), default=time(18))
    office_opens_at = models.TimeField(_("office hours from (plan reboots)"), default=time(9))
    office_closes_at = models.TimeField(_("office hours to (plan reboots)"), default=time(17, 30))
    holiday_country = models.CharField(_("holidays of"), max_length=2, default="IT")
    take_in_charge_hours = models.PositiveSmallIntegerField(
        _("taken in charge within (working hours)"), default=8
    )
    urgent_take_in_charge_hours = models.PositiveSmallIntegerField(
        _("urgent requests taken in charge within (hours)"), default=1
    )
    quote_above = models.DecimalField(
        _("a quote is needed above (net)"), default=Decimal("250.00"), **MONEY
    )
    refused_quote_cap = models.DecimalField(
        _("billed at most when a quote is refused (net)"), default=Decimal("250.00"), **MONEY
    )
    planned_notice_working_days = models.PositiveSmallIntegerField(
        _("planned work booked at least (working days ahead)"), default=1
    )
    planned_advised_days = models.PositiveSmallIntegerField(
        _("planned work advised (days ahead)"), default=7
    )
    invoicing = models.CharField(
        _("logged time is invoiced"),
        max_length=5,
        choices=Invoicing.choices,
        default=Invoicing.NEXT_INVOICE,
    )

    class Meta:
        verbose_name = _("extra-contract settings")
        verbose_name_plural = _("extra-contract settings")


class Skill(TranslatedName):
    """A kind of work a technician is prepared for: a request goes only to them (EXT-1)."""

    code = models.SlugField(_("code"), unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["position", "name"]


class Technician(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="technician",
        limit_choices_to={"is_staff": True},
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    skills = models.ManyToManyField(Skill, verbose_name=_("skills"), blank=True)

    class Meta:
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")

    def __str__(self):
        return self.user.get_full_name() or self.user.email


class Intervention(models.Model):
    """A paid intervention requested through a ticket of kind "extra-contract"."""

    class Request(models.TextChoices):
        ORDINARY = "ordinary", _("Ordinary")
        URGENT = "urgent", _("Urgent")
        PLANNED = "planned", _("Planned night or holiday work")
        REBOOT = "reboot", _("Server reboot")

    class Outcome(models.TextChoices):
        OPEN = "", _("Open")
        NOT_POSSIBLE = "not_possible", _("Closed: not possible, no charge")
        BILLED = "billed", _("Closed and billed")
        FREE = "free", _("Closed with nothing to bill")

    ticket = models.OneToOneField(
        "helpdesk.Ticket", on_delete=models.CASCADE, related_name="intervention"
    )
    request = models.CharField(
        _("request"), max_length=10, choices=Request.choices, default=Request.ORDINARY
    )
    skill = models.ForeignKey(
        Skill, verbose_name=_("area"), null=True, blank=True, on_delete=models.SET_NULL
    )
    preferred_start = models.DateTimeField(_("preferred start"), null=True, blank=True)
    preferred_notes = models.CharField(_("other dates and times"), max_length=300, blank=True)
    take_in_charge_due = models.DateTimeField(_("to be taken in charge by"))
    taken_in_charge_at = models.DateTimeField(_("taken in charge"), null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    late_alert_sent_at = models.DateTimeField(null=True, blank=True)
    estimate = models.JSONField(_("estimate"), default=dict, blank=True)
    estimated_at = models.DateTimeField(_("estimated"), null=True, blank=True)
    quote = models.OneToOneField(
        "billing.Quote",
        verbose_name=_("quote"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="extra_intervention",
    )
    quote_decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=15, choices=Outcome.choices, default="", blank=True
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        indexes = [models.Index(fields=["taken_in_charge_at", "take_in_charge_due"])]

    def __str__(self):
        return self.ticket.code

    @property
    def is_urgent(self) -> bool:
        return self.request in (self.Request.URGENT, self.Request.REBOOT)

    @property
    def is_active(self) -> bool:
        """Work can go on: the ticket is open (again) and was not found impossible."""
        return self.ticket.is_open and self.outcome != self.Outcome.NOT_POSSIBLE

    @property
    def quote_pending(self) -> bool:
        return self.quote is not None and self.quote.status == "sent"

    @property
    def quote_refused(self) -> bool:
        return self.quote is not None and self.quote.status == "declined"

    @property
    def quote_approved(self) -> bool:
        return self.quote is not None and self.quote.status in ("accepted", "delivered")


class TimeEntry(models.Model):
    """Time a technician worked on an intervention."""

    class Kind(models.TextChoices):
        WORK = "work", _("Systems work")
        SIMPLE = "simple", _("Simple help by the on-duty staff")
        REBOOT = "reboot", _("Server reboot")
        MAINTENANCE = "maintenance", _("Planned hardware maintenance")
        MIGRATION = "migration", _("Physical help during a server migration")

    intervention = models.ForeignKey(Intervention, on_delete=models.CASCADE, related_name="entries")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.WORK)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    note = models.CharField(_("what was done"), max_length=300, blank=True)
    billed_line = models.ForeignKey(
        "BilledLine", null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                   name="entry_ends_after_start")
        ]  # fmt: skip

    @property
    def minutes(self) -> int:
        seconds = (self.end - self.start).total_seconds()
        return int(-(-seconds // 60))


class BilledLine(models.Model):
    """What closing the ticket put on the client's account: an extra charge (BIL-13) with
    the breakdown it was priced from."""

    intervention = models.ForeignKey(
        Intervention, on_delete=models.PROTECT, related_name="billed_lines"
    )
    charge = models.OneToOneField("billing.Charge", on_delete=models.PROTECT, related_name="+")
    breakdown = models.JSONField(default=dict)
    amount = models.DecimalField(_("net amount"), **MONEY)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
