"""What the accounts app tells the apps above it (which it may not import).

``credentials_changed`` (``user=``): the user's password was changed or
reset, or one or all of its API tokens were revoked. The live app closes the
user's open sockets on it (live/apps.py), so a socket opened with the old
credentials does not keep hearing private events."""

from django.dispatch import Signal

credentials_changed = Signal()
