from django.urls import path

from . import auction_page, views

urlpatterns = [
    path("", views.index, name="index"),
    path("tenders/<int:tender_id>/", views.tender, name="tender"),
    path("tenders/<int:tender_id>/bid/", views.bid, name="bid"),
    path("tenders/<int:tender_id>/evaluation/", views.evaluation, name="evaluation"),
    path("tenders/<int:tender_id>/auction/", auction_page.auction, name="auction"),
    path("stats/", views.stats, name="stats"),
    path("flags/", views.flags, name="flags"),
    path("receipts/verify/", views.receipts_verify, name="receipts-verify"),
    path("register/", views.signup, name="signup"),
    path("login/", views.login, name="login"),
    path("buyer/", views.buyer, name="buyer"),
    path("buyer/tenders/new/", views.buyer_tender, name="buyer-tender-new"),
    path("buyer/tenders/<int:tender_id>/", views.buyer_tender, name="buyer-tender"),
    path("account/", views.account, name="account"),
    path("account/confirm-email/", views.confirm_email, name="confirm-email"),
    path("password/reset/", views.password_reset, name="password-reset"),
    path("password/reset/confirm/", views.password_reset_confirm, name="password-reset-confirm"),
    # The scripts' strings in the page's language (Django's gettext for JS).
    path("jsi18n/<str:lang>/", views.js_catalog,
         name="js-catalog"),
]
