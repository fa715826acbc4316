from rest_framework import serializers


class RegisterIn(serializers.Serializer):
    organisation_name = serializers.CharField(max_length=300)
    tax_id = serializers.CharField(max_length=32, help_text="12-digit BIN with a valid check digit")
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    email = serializers.EmailField(required=False, default="")


class CredentialsIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class OrganisationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    tax_id = serializers.CharField()


class MeOut(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)
    authenticated = serializers.BooleanField()
    role = serializers.CharField(help_text="public | supplier | officer | staff | user")
    organisation = OrganisationOut(allow_null=True)


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class RegisterOut(MeOut):
    token = serializers.CharField()


def me_data(user) -> dict:
    if not user.is_authenticated:
        return {"id": None, "username": None, "authenticated": False, "role": "public", "organisation": None}
    org = user.organisation
    return {
        "id": user.pk,
        "username": user.username,
        "authenticated": True,
        "role": user.role,
        "organisation": None if org is None else
        {"id": org.pk, "kind": org.kind, "name": org.name, "tax_id": org.tax_id},
    }
