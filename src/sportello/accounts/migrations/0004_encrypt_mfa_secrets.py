"""Two-factor secrets written before they were encrypted at rest are encrypted now."""

from django.db import migrations

ENCRYPTED_FIELDS = {"totp": ["secret"], "recovery_codes": ["seed"]}


def encrypt_existing(apps, schema_editor):
    from sportello.accounts.adapter import ENCRYPTED_PREFIX, MFAAdapter

    adapter = MFAAdapter()
    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.filter(type__in=ENCRYPTED_FIELDS):
        data = dict(authenticator.data)
        for name in ENCRYPTED_FIELDS[authenticator.type]:
            value = data.get(name)
            if value and not value.startswith(ENCRYPTED_PREFIX):
                data[name] = adapter.encrypt(value)
        codes = data.get("migrated_codes")
        if codes:
            data["migrated_codes"] = [
                c if c.startswith(ENCRYPTED_PREFIX) else adapter.encrypt(c) for c in codes
            ]
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_email_bounced_at"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop)]
