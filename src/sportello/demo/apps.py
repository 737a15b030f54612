from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data: the top of the house, free to import every app; nothing imports it."""

    name = "sportello.demo"
    label = "demo"
