from datetime import time

from django.db import migrations

# Seed 003: Helpdesk (technical) answers 9:00–18:00, the office 9:00–17:30; the categories
# of its ticket form; seed 004 §7: solutions within 12–48 working hours.
DEPARTMENTS = [
    # code, it, en, es, description, inbound address, opens, closes
    ("helpdesk", "Helpdesk", "Helpdesk", "Helpdesk", "Assistenza tecnica",
     "hd@sportello.example", time(9), time(18)),
    ("sales", "Sales & Marketing", "Sales & Marketing", "Ventas y Marketing",
     "Informazioni commerciali e amministrative", "sales@sportello.example", time(9),
     time(17, 30)),
]  # fmt: skip
CATEGORIES = [
    # code, department, kind, concerns a service, it, en, es
    ("commercial-info", "sales", "general", False, "Informazioni commerciali",
     "Commercial information", "Información comercial"),
    ("administrative", "sales", "general", False, "Amministrazione e fatture",
     "Billing and administration", "Administración y facturas"),
    ("upgrade", "sales", "upgrade", True, "Upgrade di un servizio", "Service upgrade",
     "Ampliación de un servicio"),
    ("domain-registration", "helpdesk", "general", True, "Registrazione domini",
     "Domain registration", "Registro de dominios"),
    ("dns", "helpdesk", "general", True, "Configurazione DNS", "DNS configuration",
     "Configuración DNS"),
    ("hosting", "helpdesk", "general", True, "Hosting e siti web", "Hosting and websites",
     "Alojamiento y sitios web"),
    ("email", "helpdesk", "email_problem", True, "Posta elettronica", "Email",
     "Correo electrónico"),
    ("backup-restore", "helpdesk", "backup_restore", True, "Backup o ripristino",
     "Backup or restore", "Copia de seguridad o restauración"),
    ("outage", "helpdesk", "outage", True, "Segnalazione disservizio", "Outage report",
     "Aviso de avería"),
    ("technical", "helpdesk", "general", True, "Altra assistenza tecnica",
     "Other technical support", "Otro soporte técnico"),
    ("extra-contract", "helpdesk", "extra", False, "Assistenza extracontrattuale",
     "Extra-contract assistance", "Asistencia extracontractual"),
]  # fmt: skip
TARGETS = [("low", 8, 48), ("normal", 4, 24), ("high", 1, 12)]


def seed(apps, schema_editor):
    Department = apps.get_model("helpdesk", "Department")
    Category = apps.get_model("helpdesk", "Category")
    ResponseTarget = apps.get_model("helpdesk", "ResponseTarget")
    departments = {}
    for position, row in enumerate(DEPARTMENTS):
        code, name, name_en, name_es, description, email, opens, closes = row
        departments[code], _ = Department.objects.update_or_create(
            code=code,
            defaults={
                "name": name, "name_en": name_en, "name_es": name_es,
                "description": description, "email": email, "opens_at": opens,
                "closes_at": closes, "position": position,
            },
        )  # fmt: skip
    for position, (code, department, kind, needs_service, name, name_en, name_es) in enumerate(
        CATEGORIES
    ):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "department": departments[department], "kind": kind,
                "needs_service": needs_service, "name": name, "name_en": name_en,
                "name_es": name_es, "position": position,
            },
        )  # fmt: skip
    for priority, first, resolution in TARGETS:
        ResponseTarget.objects.get_or_create(
            priority=priority,
            defaults={"first_response_hours": first, "resolution_hours": resolution},
        )


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0002_tickets")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
