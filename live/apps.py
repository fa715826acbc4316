from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Live status"

    def ready(self):
        from django.contrib.auth.signals import user_logged_out

        from accounts.signals import credentials_changed

        from . import events

        def close_sockets(sender, user=None, **kwargs):
            if user is not None:
                events.close_user_sockets(user.pk)

        # A socket must not outlive the credentials it was opened with.
        credentials_changed.connect(close_sockets, weak=False, dispatch_uid="live.close_sockets")
        user_logged_out.connect(close_sockets, weak=False, dispatch_uid="live.close_sockets_on_logout")
