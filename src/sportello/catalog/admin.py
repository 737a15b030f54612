from django.contrib import admin

from .models import Price, Product, SupportPlanRule


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0


class SupportPlanRuleInline(admin.TabularInline):
    model = SupportPlanRule
    fk_name = "plan"
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "type", "term_months", "renewal_policy", "active"]
    list_filter = ["type", "renewal_policy", "active"]
    search_fields = ["name", "name_en", "name_es", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [PriceInline, SupportPlanRuleInline]
