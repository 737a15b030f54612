from django.contrib import admin

from .models import AuditEvent, ClosingDay, OfficeCalendar, Provider


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


@admin.register(OfficeCalendar)
class OfficeCalendarAdmin(admin.ModelAdmin):
    list_display = ["country", "region"]

    def has_add_permission(self, request):
        return not OfficeCalendar.objects.exists()


@admin.register(ClosingDay)
class ClosingDayAdmin(admin.ModelAdmin):
    list_display = ["day", "name", "every_year"]
    list_filter = ["every_year"]
