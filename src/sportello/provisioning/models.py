from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .modules.base import Module
from .modules.registry import choices, module_class


class Server(models.Model):
    """One remote system a module drives: a WHM server, a PowerDNS API, a registry."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    module = models.CharField(_("module"), max_length=40, choices=choices)
    url = models.CharField(
        _("address"), max_length=200, blank=True, help_text=_("https://whm:2087, epps://epp:700")
    )
    username = models.CharField(_("user or registrar id"), max_length=100, blank=True)
    secret = models.CharField(_("API token or password"), max_length=500, blank=True)
    options = models.JSONField(_("options"), default=dict, blank=True)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("provisioning server")
        verbose_name_plural = _("provisioning servers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def connect(self) -> Module:
        cls = module_class(self.module)
        if cls is None:
            raise LookupError(self.module)
        return cls(self.url, self.username, self.secret, dict(self.options or {}))


class ProductModule(models.Model):
    """A product provisioned on a server: a hosting plan on WHM (package: the WHM plan) and
    its zone on PowerDNS; a domain extension at a registrar (package: the extension)."""

    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE,
        related_name="modules",
    )  # fmt: skip
    server = models.ForeignKey(Server, verbose_name=_("server"), on_delete=models.PROTECT)
    package = models.CharField(_("package or extension"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("product module")
        verbose_name_plural = _("product modules")
        constraints = [
            models.UniqueConstraint(fields=["product", "server"], name="one_module_per_server")
        ]

    def __str__(self):
        return f"{self.product} → {self.server}"


class Account(models.Model):
    """A service as it exists on one server: its remote name and state."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        REMOVED = "removed", _("Removed")

    service = models.ForeignKey(
        "services.Service", on_delete=models.CASCADE, related_name="accounts"
    )
    server = models.ForeignKey(Server, on_delete=models.PROTECT, related_name="accounts")
    remote_id = models.CharField(_("name on the server"), max_length=253)
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # A domain whose local expiry differed from the registry's: the date it had, for staff.
    expiry_corrected_from = models.DateField(_("local expiry before the registry's"),
                                             null=True, blank=True)  # fmt: skip
    expiry_corrected_at = models.DateTimeField(_("expiry corrected"), null=True, blank=True)

    class Meta:
        verbose_name = _("account on a server")
        verbose_name_plural = _("accounts on servers")
        constraints = [
            models.UniqueConstraint(fields=["service", "server"], name="one_account_per_server")
        ]


class Operation(models.Model):
    """One operation of a module on one service: the queue entry, its attempts and the
    audit of what happened. Claimed by a compare-and-swap on `status`, so two workers never
    run it together, and unique per service, server, action and key, so asking twice asks
    once."""

    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        SUSPEND = "suspend", _("Suspend")
        UNSUSPEND = "unsuspend", _("Unsuspend")
        TERMINATE = "terminate", _("Terminate")
        CHANGE_PACKAGE = "change_package", _("Change package")
        CHANGE_PASSWORD = "change_password", _("Change password")
        # Asked by the client from the service page.
        NAMESERVERS = "nameservers", _("Change name servers")
        LOCK = "lock", _("Transfer lock")
        AUTH_CODE = "auth_code", _("Send the auth code")
        ZONE = "zone", _("Change DNS records")
        SSO = "sso", _("Control panel sign-in")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        STAFF = "staff", _("Waiting for staff")

    service = models.ForeignKey(
        "services.Service", verbose_name=_("service"), on_delete=models.CASCADE,
        related_name="operations",
    )  # fmt: skip
    server = models.ForeignKey(Server, verbose_name=_("server"), on_delete=models.PROTECT)
    action = models.CharField(_("operation"), max_length=20, choices=Action.choices)
    # The request this operation answers (a day's status change, an order): asking again
    # for the same request finds the same row.
    key = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    # Who asked, when a person did (the client from the service page); empty for the jobs.
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("provisioning operation")
        verbose_name_plural = _("provisioning operations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "server", "action", "key"], name="one_operation_per_request"
            )
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.service} @ {self.server}"
