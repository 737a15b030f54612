from django.contrib import admin

from .models import JobRun, JobSettings


@admin.register(JobSettings)
class JobSettingsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "run_hour", "mail_purge_month", "mail_purge_day"]

    def has_add_permission(self, request):
        return not JobSettings.objects.exists()


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["started_at", "job", "day", "dry_run", "duration_ms", "counts", "errors"]
    list_filter = ["job", "dry_run"]
    readonly_fields = [f.name for f in JobRun._meta.fields]

    def has_add_permission(self, request):
        return False
