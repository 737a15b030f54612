from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("kb", "0002_search_index")]
    operations = [migrations.RenameField("category", "name_it", "name")]
