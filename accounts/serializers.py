from types import SimpleNamespace

from rest_framework import serializers

from core.shapes import Shape


class RegisterIn(serializers.Serializer):
    organisation_name = serializers.CharField(max_length=300)
    tax_id = serializers.CharField(max_length=32, help_text="12-digit BIN with a valid check digit")
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    email = serializers.EmailField(required=False, default="")


class CredentialsIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class PasswordResetIn(serializers.Serializer):
    # Any address that could be one: the answer is the same for every address
    # (it names no account), so only what is plainly no address is refused,
    # by the very rule the schema states (its pattern).
    email = serializers.RegexField(r"^[^@\s\u0000]+@[^@\s\u0000]+$", max_length=254, trim_whitespace=False,
                                   help_text="The account's e-mail address")


class PasswordResetConfirmIn(serializers.Serializer):
    uid = serializers.CharField(max_length=64, help_text="From the e-mailed link")
    token = serializers.CharField(max_length=128, help_text="From the e-mailed link")
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class PasswordChangeIn(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, style={"input_type": "password"})
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class EmailConfirmIn(serializers.Serializer):
    uid = serializers.CharField(max_length=64, help_text="From the e-mailed link")
    token = serializers.CharField(max_length=128, help_text="From the e-mailed link")


class OrganisationOut(Shape):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    tax_id = serializers.CharField()


# Who an anonymous caller is.
PUBLIC = SimpleNamespace(id=None, username=None, is_authenticated=False, role="public", organisation=None,
                         email=None, email_confirmed=False)


class MeOut(Shape):  # from a User, or AnonymousUser
    id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    authenticated = serializers.BooleanField(source="is_authenticated")
    role = serializers.CharField(help_text="public | supplier | officer | staff | user")
    organisation = OrganisationOut(allow_null=True)
    email = serializers.CharField(allow_null=True, help_text="The account's e-mail address (may be empty)")
    email_confirmed = serializers.BooleanField(
        help_text="Whether the address is confirmed: notification e-mail goes only to a confirmed address")

    def render(self, user) -> dict:
        return super().render(user if user.is_authenticated else PUBLIC)


class TokenOut(Shape):  # from a just-issued key (accounts/tokens.py): shown this once
    token = serializers.CharField(source="key", help_text="The key, for `Authorization: Token <key>`. Only its "
                                                          "digest is stored: it is shown this once.")


class TokenInfoOut(Shape):  # from knox's AuthToken, with .current set
    id = serializers.CharField(source="token_key", help_text="The key's first characters: names the token, "
                                                             "is not enough to use it")
    created = serializers.DateTimeField()
    expires = serializers.DateTimeField(source="expiry", allow_null=True, help_text="null: does not expire")
    current = serializers.BooleanField(help_text="The token this request was authenticated with")


class RegisterOut(MeOut):  # the new user, with its API token (shown this once)
    token = serializers.CharField(source="api_key")


def me_data(user) -> dict:
    """``MeOut`` as a plain dict (the pages' first paint)."""
    return MeOut.dump(user)
