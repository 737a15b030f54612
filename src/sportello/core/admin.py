from django.contrib import admin

from .models import AuditEvent, Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "support_email", "sales_email"]

    def has_add_permission(self, request):
        return not Provider.objects.exists()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "actor", "client", "ip_address", "detail"]
    list_filter = ["action"]
    search_fields = ["detail", "actor__email", "client__name"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
