"""Reading accounts."""

from .models import User


def colleagues(user: User) -> list[dict]:
    """The active officers of ``user``'s buyer, by name."""
    rows = User.objects.filter(organisation_id=user.organisation_id, is_active=True).order_by("username")
    return [{"id": u.pk, "username": u.username, "name": u.get_full_name() or u.username} for u in rows]
