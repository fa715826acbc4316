from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from procurement import rows

from .models import Organisation, User


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, loading the user and the user's
    organisation with the token, in one query: every role check and every
    service reads the organisation. The query is plain SQL (whole rows,
    converted as the ORM converts them): a bidder's every request runs it,
    and the ORM's compile of the two-level join cost more than the query."""

    def authenticate_credentials(self, key):
        token_model = self.get_model()
        token_fields, user_fields, org_fields = (rows.every_field(m) for m in (token_model, User, Organisation))
        sql = (f"SELECT {rows.columns(token_model, token_fields, 't')}, {rows.columns(User, user_fields, 'u')}, "
               f"{rows.columns(Organisation, org_fields, 'o')} "
               f"FROM {token_model._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
               f"LEFT JOIN {Organisation._meta.db_table} o ON o.id = u.organisation_id WHERE t.key = %s")
        (found,) = rows.run([(sql, [key])])
        if not found.rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        row = found.rows[0]
        token = rows.instance(token_model, token_fields, row[:len(token_fields)])
        user = rows.instance(User, user_fields, row[len(token_fields):len(token_fields) + len(user_fields)])
        user.organisation = (rows.instance(Organisation, org_fields, row[len(token_fields) + len(user_fields):])
                             if user.organisation_id is not None else None)
        token.user = user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token
