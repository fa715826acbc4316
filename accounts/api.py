from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.signals import user_logged_in
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_protect, ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core import throttling
from core.errors import Invalid

from . import selectors, services, tokens
from .permissions import IsOfficer
from .serializers import (
    CredentialsIn,
    EmailConfirmIn,
    MeOut,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RegisterIn,
    RegisterOut,
    TokenInfoOut,
    TokenOut,
)


def _authenticate(request) -> "object":
    data = CredentialsIn(data=request.data)
    data.is_valid(raise_exception=True)
    user = authenticate(request, **data.validated_data)
    if getattr(request, "axes_locked_out", False):  # set by django-axes's backend (settings: AXES_*)
        raise exceptions.Throttled(wait=settings.AXES_COOLOFF_TIME.total_seconds(),
                                   detail="Too many failed logins for this username from this address; "
                                          "try again later.")
    if user is None:
        raise Invalid("Unknown username or wrong password.", code="invalid_credentials")
    return user


class RegisterView(APIView):
    authentication_classes = []
    throttle_classes = throttling.REGISTER

    @extend_schema(request=RegisterIn, responses={201: RegisterOut}, tags=["auth"],
                   summary="A business registers itself as a supplier")
    def post(self, request):
        data = RegisterIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.register_supplier(**data.validated_data, language=request.LANGUAGE_CODE)
        user.api_key = tokens.issue(user)  # RegisterOut shows it, once
        return Response(RegisterOut(user).data, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    authentication_classes = []
    throttle_classes = throttling.LOGIN

    @extend_schema(request=CredentialsIn, responses={200: TokenOut}, tags=["auth"],
                   summary="Exchange username + password for a new API token (header `Authorization: Token …`)",
                   description="Each call issues a new token; its key is in this answer only (the platform "
                               "stores a digest). List and revoke tokens at `/api/auth/tokens/`.")
    def post(self, request):
        user = _authenticate(request)
        key = tokens.issue(user)
        # A password exchanged for a token is a login, as a session login is:
        # last_login is recorded, and django-axes clears the failed attempts.
        user_logged_in.send(sender=type(user), request=request, user=user)
        return Response(TokenOut(SimpleNamespace(key=key)).data)


class TokensView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: TokenInfoOut(many=True)}, tags=["auth"],
                   summary="My API tokens (never their keys)")
    def get(self, request):
        found = tokens.of(request.user)
        current = getattr(request.auth, "digest", None)
        for token in found:
            token.current = token.digest == current
        return Response(TokenInfoOut.dump_many(found))


class TokenDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, tags=["auth"], summary="Revoke one of my API tokens")
    def delete(self, request, token_id: str):
        tokens.revoke(request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(csrf_protect, name="post")
class LoginView(APIView):
    """Browser session login. Fetch `GET /api/auth/me/` first for the CSRF cookie,
    then send it back in the `X-CSRFToken` header."""

    authentication_classes = []
    throttle_classes = throttling.LOGIN

    @extend_schema(request=CredentialsIn, responses={200: MeOut}, tags=["auth"], summary="Session login")
    def post(self, request):
        user = _authenticate(request)
        login(request, user)
        return Response(MeOut(user).data)


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["auth"], summary="End the session")
    def post(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@method_decorator(ensure_csrf_cookie, name="get")
class MeView(APIView):
    @extend_schema(responses={200: MeOut}, tags=["auth"], summary="Who am I (also sets the CSRF cookie)")
    def get(self, request):
        return Response(MeOut(request.user).data)


class ColleagueOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(help_text="Full name, or the username when none is recorded")


class ColleaguesView(APIView):
    """The officers of the caller's buyer (whom the committee may name)."""

    permission_classes = [IsOfficer]

    @extend_schema(responses={200: ColleagueOut(many=True)}, tags=["auth"],
                   summary="The officers of my buyer organisation")
    def get(self, request):
        return Response(ColleagueOut(selectors.colleagues(request.user), many=True).data)


class PasswordResetView(APIView):
    """The same 202 whether or not an account has the address (and the same
    work: the worker looks it up), so the answer names no account."""

    authentication_classes = []
    throttle_classes = throttling.PASSWORD_RESET

    @extend_schema(request=PasswordResetIn, responses={202: None}, tags=["auth"],
                   summary="E-mail a password reset link to the accounts with this address, if any")
    def post(self, request):
        data = PasswordResetIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.request_password_reset(email=data.validated_data["email"], language=request.LANGUAGE_CODE)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    authentication_classes = []
    throttle_classes = throttling.PASSWORD_RESET_CONFIRM

    @extend_schema(request=PasswordResetConfirmIn, responses={204: None}, tags=["auth"],
                   summary="Set a new password with the e-mailed link's uid and token (signs out every session "
                           "and revokes every API token of the account)")
    def post(self, request):
        data = PasswordResetConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.reset_password(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = throttling.PASSWORD_CHANGE

    @extend_schema(request=PasswordChangeIn, responses={204: None}, tags=["auth"],
                   summary="Change my password (the current one required); other sessions are signed out and "
                           "every API token is revoked (this session stays signed in)")
    def post(self, request):
        data = PasswordChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.change_password(request.user, **data.validated_data)
        if request.auth is None:  # a session: it stays signed in, with the new password's hash
            update_session_auth_hash(request, user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailConfirmView(APIView):
    authentication_classes = []
    throttle_classes = throttling.PASSWORD_RESET_CONFIRM

    @extend_schema(request=EmailConfirmIn, responses={204: None}, tags=["auth"],
                   summary="Confirm my e-mail address with the e-mailed link's uid and token")
    def post(self, request):
        data = EmailConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.confirm_email(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailConfirmResendView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = throttling.EMAIL_CONFIRMATION

    @extend_schema(request=None, responses={202: None}, tags=["auth"],
                   summary="E-mail me the confirmation link again")
    def post(self, request):
        services.resend_confirmation(request.user, language=request.LANGUAGE_CODE)
        return Response(status=status.HTTP_202_ACCEPTED)
