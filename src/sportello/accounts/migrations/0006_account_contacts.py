import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_news_by_email"),
    ]

    operations = [
        migrations.CreateModel(
            name="AccountContact",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=150, verbose_name="name")),
                ("email", models.EmailField(max_length=254, verbose_name="email address")),
                ("billing", models.BooleanField(default=False, help_text="Copies of invoices, quotes and renewal notices.", verbose_name="billing")),
                ("technical", models.BooleanField(default=False, help_text="Copies of ticket and service notices.", verbose_name="technical")),
                ("may_open_tickets", models.BooleanField(default=False, help_text="Mail from this address to the help desk opens or answers this account's tickets.", verbose_name="may open tickets by email")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="added")),
                ("client", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="contacts", to="accounts.client", verbose_name="client")),
            ],
            options={
                "verbose_name": "account contact",
                "verbose_name_plural": "account contacts",
                "ordering": ["name", "id"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("email"),
                        models.F("client"),
                        name="one_contact_per_address",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SignedInSession",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("session_key", models.CharField(max_length=40, unique=True)),
                ("ip_address", models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address")),
                ("user_agent", models.CharField(blank=True, max_length=300, verbose_name="browser")),
                ("created_at", models.DateTimeField(verbose_name="signed in")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="signed_in_sessions", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "verbose_name": "signed-in session",
                "verbose_name_plural": "signed-in sessions",
                "ordering": ["-created_at", "-id"],
            },
        ),
    ]
