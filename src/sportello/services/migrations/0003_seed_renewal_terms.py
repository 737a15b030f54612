from django.db import migrations

# Seed 004: hosting and other services renewed 10 days ahead, domains 60 days ahead with
# the first notice 60 days before; seed 000: notices from 30 days before to the day itself.
TERMS = {"domain": (60, "60,30,15,7,3,1,0,-3,-7")}
DEFAULT = (10, "30,15,7,3,1,0,-3,-7")
TYPES = [
    "domain", "hosting", "mailbox", "pec", "vps", "cloud_mail", "smtp_relay", "dedicated",
    "colocation", "ssl", "showcase", "banner", "support_plan",
]  # fmt: skip


def seed(apps, schema_editor):
    RenewalTerms = apps.get_model("services", "RenewalTerms")
    for product_type in TYPES:
        lead, notices = TERMS.get(product_type, DEFAULT)
        RenewalTerms.objects.get_or_create(
            product_type=product_type,
            defaults={"invoice_lead_days": lead, "notice_days": notices},
        )


class Migration(migrations.Migration):
    dependencies = [("services", "0002_renewals")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
