from django.apps import AppConfig


class ClarificationsConfig(AppConfig):
    name = "clarifications"
    verbose_name = "Clarifications (questions and answers)"
