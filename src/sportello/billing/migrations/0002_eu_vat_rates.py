from datetime import date
from decimal import Decimal

from django.db import migrations

# Standard VAT rates of the EU member states in force on 1 January 2026; later changes
# are new rows with their own start date, entered in the admin.
RATES = {
    "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
    "EE": "24", "ES": "21", "FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27",
    "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
    "PL": "23", "PT": "23", "RO": "21", "SE": "25", "SI": "22", "SK": "23",
}  # fmt: skip


def seed(apps, schema_editor):
    VatRate = apps.get_model("billing", "VatRate")
    for country, rate in RATES.items():
        VatRate.objects.get_or_create(
            country=country, valid_from=date(2026, 1, 1), defaults={"rate": Decimal(rate)}
        )
    # Italy's 22% has applied since October 2013; earlier dates keep working.
    VatRate.objects.get_or_create(
        country="IT", valid_from=date(2013, 10, 1),
        defaults={"rate": Decimal("22"), "valid_to": date(2025, 12, 31)},
    )  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
