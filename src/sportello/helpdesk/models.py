from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A team that answers one kind of request: Helpdesk (technical), Sales & Marketing."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("what it handles"), max_length=200, blank=True)
    email = models.EmailField(_("inbound address"), blank=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["name"]

    def __str__(self):
        return self.name
