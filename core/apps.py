from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares (errors, time, pagination, the database clock,
    plain SQL, sealing, the scheduler's loop); it depends on no app."""

    name = "core"
