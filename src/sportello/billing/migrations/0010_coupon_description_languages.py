from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0009_online_payments"),
    ]

    operations = [
        migrations.AddField(
            model_name="coupon",
            name="description_en",
            field=models.CharField(
                blank=True,
                help_text="Empty: the Italian announcement.",
                max_length=200,
                verbose_name="announcement in English",
            ),
        ),
        migrations.AddField(
            model_name="coupon",
            name="description_es",
            field=models.CharField(
                blank=True,
                help_text="Empty: the Italian announcement.",
                max_length=200,
                verbose_name="announcement in Spanish",
            ),
        ),
    ]
