"""For what has no API: every operation becomes a staff task in the desk."""

from .base import Module


class ManualModule(Module):
    name = "manual"
    label = "Manual (a staff task per operation)"
