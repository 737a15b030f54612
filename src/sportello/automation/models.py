from django.db import models
from django.utils.translation import gettext_lazy as _

from sportello.core.models import SettingsRow


class JobRun(models.Model):
    """One run of one scheduled job for one business day, with what it did."""

    job = models.CharField(_("job"), max_length=60)
    day = models.DateField(_("business day"), db_index=True)
    dry_run = models.BooleanField(_("dry run"), default=False)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    counts = models.JSONField(_("counts"), default=dict)
    errors = models.JSONField(_("errors"), default=list)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.job} {self.day}"


class JobSettings(SettingsRow):
    """When the daily jobs run and the dates they use: one row, edited in the admin."""

    run_hour = models.PositiveSmallIntegerField(_("daily run at (hour)"), default=6)
    renewal_window_days = models.PositiveSmallIntegerField(
        _("renewals due within this many days go on the same invoice"), default=7
    )
    suspension_notice = models.BooleanField(
        _("tell clients when a service is suspended for non-payment"), default=True
    )
    mail_purge_month = models.PositiveSmallIntegerField(_("mail-history purge: month"), default=1)
    mail_purge_day = models.PositiveSmallIntegerField(_("mail-history purge: day"), default=9)
    # Seed 004 §16 says copies "anteriores al penúltimo año" go: read as "before the year
    # before last", the current and the last year stay; read as "the year before last and
    # earlier", one more year stays too. The provider chooses.
    mail_years_kept = models.PositiveSmallIntegerField(
        _("mail-history purge: years kept"),
        default=2,
        choices=[
            (2, _("This year and last year (copies from before 1 January of last year go)")),
            (3, _("Also the year before last")),
        ],
        help_text=_(
            "Default: on the purge day of 2027, copies from before 1 January 2026 are deleted."
        ),
    )

    class Meta:
        verbose_name = _("job settings")
        verbose_name_plural = _("job settings")

    def __str__(self):
        return str(_("Job settings"))
