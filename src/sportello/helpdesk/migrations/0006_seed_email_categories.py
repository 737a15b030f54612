from django.db import migrations

# A ticket that arrives by email has no category yet: it lands in the general one of its
# department, and staff move it if needed.
EMAIL_CATEGORIES = {"helpdesk": "technical", "sales": "commercial-info"}


def seed(apps, schema_editor):
    Department = apps.get_model("helpdesk", "Department")
    Category = apps.get_model("helpdesk", "Category")
    for department, category in EMAIL_CATEGORIES.items():
        found = Category.objects.filter(code=category).first()
        if found:
            Department.objects.filter(code=department, email_category=None).update(
                email_category=found
            )


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0005_message_source")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
