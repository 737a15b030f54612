from django.contrib import admin

from .models import ExtraSettings, Rate, Skill, Technician


@admin.register(Rate)
class RateAdmin(admin.ModelAdmin):
    list_display = ["band", "level", "first_block_minutes", "first_block_price", "slice_minutes",
                    "slice_price", "minimum_minutes", "urgent_fee"]  # fmt: skip
    list_filter = ["band", "level"]


@admin.register(ExtraSettings)
class ExtraSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not ExtraSettings.objects.exists()


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "name_es", "code", "position"]


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["user", "level"]
    list_filter = ["level", "skills"]
    filter_horizontal = ["skills"]
