"""The period of each report, from the address (GET): checked here, so a bad value is an
error on the page, never a failed query."""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

FIRST_YEAR, LAST_YEAR = 2000, 2100


class RevenueForm(forms.Form):
    until = forms.DateField(
        label=_("Twelve months up to"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("Give a month as YYYY-MM, e.g. 2026-03.")},
    )

    @staticmethod
    def defaults(today: date) -> dict[str, str]:
        return {"until": today.strftime("%Y-%m")}

    def clean_until(self) -> date:
        until = self.cleaned_data["until"]
        if not FIRST_YEAR <= until.year <= LAST_YEAR:
            raise forms.ValidationError(
                _("Choose a month between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": LAST_YEAR}
            )
        return until


class VatPeriodForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    period = forms.ChoiceField(label=_("Period"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Named in the reader's language, so built for each request.
        self.fields["period"].choices = [
            ("year", gettext("Whole year")),
            *[(f"q{q}", gettext("Quarter %(number)s") % {"number": q}) for q in range(1, 5)],
            *[(f"m{m:02d}", date_format(date(2000, m, 1), "F")) for m in range(1, 13)],
        ]

    @staticmethod
    def defaults(today: date) -> dict[str, str]:
        # The return is made for the month just ended.
        last = today.replace(day=1) - timedelta(days=1)
        return {"year": str(last.year), "period": f"m{last.month:02d}"}

    def dates(self) -> tuple[date, date]:
        """First and last day of the chosen period."""
        year, period = self.cleaned_data["year"], self.cleaned_data["period"]
        if period == "year":
            return date(year, 1, 1), date(year, 12, 31)
        if period.startswith("q"):
            start = date(year, 3 * (int(period[1:]) - 1) + 1, 1)
            return start, start + relativedelta(months=3) - timedelta(days=1)
        start = date(year, int(period[1:]), 1)
        return start, start + relativedelta(months=1) - timedelta(days=1)


class ReceivablesForm(forms.Form):
    TOPS = [("20", "20"), ("50", "50"), ("100", "100"), ("500", "500")]
    top = forms.TypedChoiceField(label=_("Clients listed"), choices=TOPS, coerce=int)

    @staticmethod
    def defaults(today: date) -> dict[str, str]:
        return {"top": "50"}


class RenewalsForm(forms.Form):
    DAYS = [("30", _("30 days")), ("60", _("60 days")), ("90", _("90 days"))]
    days = forms.TypedChoiceField(label=_("Period"), choices=DAYS, coerce=int)

    @staticmethod
    def defaults(today: date) -> dict[str, str]:
        return {"days": "90"}


class WeeksForm(forms.Form):
    weeks = forms.TypedChoiceField(label=_("Period"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weeks"].choices = [
            (str(n), ngettext("%(count)s week", "%(count)s weeks", n) % {"count": n})
            for n in (4, 8, 13, 26, 52)
        ]

    @staticmethod
    def defaults(today: date) -> dict[str, str]:
        return {"weeks": "13"}
