from django.urls import path

from . import api

urlpatterns = [
    path("register/", api.RegisterView.as_view(), name="auth-register"),
    path("token/", api.TokenView.as_view(), name="auth-token"),
    path("tokens/", api.TokensView.as_view(), name="auth-tokens"),
    path("tokens/<str:token_id>/", api.TokenDetailView.as_view(), name="auth-token-detail"),
    path("login/", api.LoginView.as_view(), name="auth-login"),
    path("logout/", api.LogoutView.as_view(), name="auth-logout"),
    path("officers/", api.ColleaguesView.as_view(), name="auth-officers"),
    path("me/", api.MeView.as_view(), name="auth-me"),
    path("password/reset/", api.PasswordResetView.as_view(), name="auth-password-reset"),
    path("password/reset/confirm/", api.PasswordResetConfirmView.as_view(), name="auth-password-reset-confirm"),
    path("password/change/", api.PasswordChangeView.as_view(), name="auth-password-change"),
    path("email/confirm/", api.EmailConfirmView.as_view(), name="auth-email-confirm"),
    path("email/confirm/resend/", api.EmailConfirmResendView.as_view(), name="auth-email-confirm-resend"),
]
