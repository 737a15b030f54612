from django.contrib import admin

from .models import Department, HelpdeskSettings


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "email"]


@admin.register(HelpdeskSettings)
class HelpdeskSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__", "attachment_max_mb", "message_attachments_max_mb", "ticket_attachments_max_mb",
    ]  # fmt: skip

    def has_add_permission(self, request):
        return not HelpdeskSettings.objects.exists()
