from django.apps import AppConfig


class DemoConfig(AppConfig):
    """``seed_demo``: demo data made through every app's services."""

    name = "demo"
