from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Account, Operation, ProductModule, Server


class ServerForm(forms.ModelForm):
    """The API token or password is never sent back to the browser: empty keeps it."""

    class Meta:
        model = Server
        fields = ["name", "module", "url", "username", "secret", "options", "active"]
        widgets = {"secret": forms.PasswordInput(render_value=False)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["secret"].required = False
        if self.instance.pk and self.instance.secret:
            self.fields["secret"].help_text = _(
                "Stored. Leave empty to keep it; type a new one to replace it."
            )
        self.fields["options"].help_text = _(
            'JSON. PowerDNS: {"nameservers": […], "default_ip": "…", "ttl": 3600}; EPP: '
            '{"cafile": "…", "nameservers": […], "it_extensions": true}; cPanel: '
            '{"suspend_reason": "…"} replaces the reason written in the client\'s language.'
        )

    def clean_secret(self):
        secret = self.cleaned_data.get("secret", "")
        if not secret and self.instance.pk:
            return Server.objects.get(pk=self.instance.pk).secret
        return secret


class ProductModuleInline(admin.TabularInline):
    model = ProductModule
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Server)
class ServerAdmin(admin.ModelAdmin):
    form = ServerForm
    list_display = ["name", "module", "url", "active"]
    list_filter = ["module", "active"]
    search_fields = ["name", "url"]
    inlines = [ProductModuleInline]


@admin.register(ProductModule)
class ProductModuleAdmin(admin.ModelAdmin):
    list_display = ["product", "server", "package"]
    list_filter = ["server"]
    autocomplete_fields = ["product", "server"]
    search_fields = ["product__code", "product__name", "package"]


class ReadOnly(admin.ModelAdmin):
    """Written only by the provisioning operations."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ["service", "server", "remote_id", "state", "updated_at",
                    "expiry_corrected_from"]  # fmt: skip
    list_filter = ["state", "server"]
    search_fields = ["remote_id", "service__name"]


@admin.register(Operation)
class OperationAdmin(ReadOnly):
    list_display = ["created_at", "service", "server", "action", "status", "attempts",
                    "asked_by", "done_by"]  # fmt: skip
    list_filter = ["status", "action", "server"]
    search_fields = ["service__name", "error"]
    exclude = ["params"]  # may hold a zone's records; never a password (cleared after the run)
