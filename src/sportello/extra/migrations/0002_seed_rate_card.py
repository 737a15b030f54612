from decimal import Decimal as D

from django.db import migrations

# Seed 003, "Assistenza extracontrattuale": prices net of VAT per level and band.
# band, level, first block (min, price), slice (min, price), minimum (min), urgent fee
RATES = [
    ("ordinary", "junior", 0, D("0"), 30, D("27.00"), 30, D("27.00")),
    ("ordinary", "senior", 0, D("0"), 30, D("42.00"), 30, D("27.00")),
    ("planned", "junior", 120, D("150.00"), 60, D("50.00"), 120, D("0")),
    ("planned", "senior", 120, D("230.00"), 60, D("83.00"), 120, D("0")),
    ("urgent", "junior", 0, D("0"), 30, D("39.00"), 30, D("75.00")),
    ("urgent", "senior", 0, D("0"), 30, D("63.00"), 30, D("75.00")),
    # Simple help (e.g. reboots) by the on-duty staff: the ordinary ticket price.
    ("on_duty", "junior", 0, D("0"), 30, D("27.00"), 30, D("0")),
    ("on_duty", "senior", 0, D("0"), 30, D("27.00"), 30, D("0")),
]
SKILLS = [
    # code, it, en, es
    ("linux", "Sistemi Linux", "Linux systems", "Sistemas Linux"),
    ("windows", "Sistemi Windows", "Windows systems", "Sistemas Windows"),
    ("web-panels", "Web server e pannelli", "Web servers and control panels",
     "Servidores web y paneles"),
    ("mail-servers", "Server di posta", "Mail servers", "Servidores de correo"),
    ("databases", "Database", "Databases", "Bases de datos"),
    ("security", "Sicurezza e server violati", "Security and hacked servers",
     "Seguridad y servidores comprometidos"),
    ("networking", "Reti e firewall", "Networks and firewalls", "Redes y cortafuegos"),
    ("hardware", "Hardware e migrazioni", "Hardware and migrations", "Hardware y migraciones"),
]  # fmt: skip


def seed(apps, schema_editor):
    Rate = apps.get_model("extra", "Rate")
    Skill = apps.get_model("extra", "Skill")
    for band, level, block_min, block_price, slice_min, slice_price, minimum, fee in RATES:
        Rate.objects.get_or_create(
            band=band,
            level=level,
            defaults={
                "first_block_minutes": block_min, "first_block_price": block_price,
                "slice_minutes": slice_min, "slice_price": slice_price,
                "minimum_minutes": minimum, "urgent_fee": fee,
            },
        )  # fmt: skip
    for position, (code, name, name_en, name_es) in enumerate(SKILLS):
        Skill.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "name_es": name_es, "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("extra", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
