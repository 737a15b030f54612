from django.contrib import admin

from .models import Migration, Monitor, ServerSettings


@admin.register(ServerSettings)
class ServerSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not ServerSettings.objects.exists()


@admin.register(Migration)
class MigrationAdmin(admin.ModelAdmin):
    list_display = ["server", "client", "state", "opened_on", "switch_at"]
    list_filter = ["state"]
    search_fields = ["server__name", "client__name", "client__company_name"]
    raw_id_fields = ["server", "client", "opened_by", "switched_by"]


@admin.register(Monitor)
class MonitorAdmin(admin.ModelAdmin):
    list_display = ["target", "server", "state", "interval_minutes", "last_checked_at"]
    list_filter = ["state", "kind"]
    search_fields = ["server__name", "ip_address", "url"]
    raw_id_fields = ["server", "client"]
    exclude = ["claim"]
