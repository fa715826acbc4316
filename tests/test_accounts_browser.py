"""Account recovery pages in the browser (issue 23): forgot password, the
e-mailed reset link, the password change on /account/ and the e-mail
confirmation link, in Kazakh, Russian and English."""

import re

import pytest

from tests.browser_support import (BROWSER_MARKS, SUPPLIER_PASSWORD, browser,  # noqa: F401 (fixtures)
                                   check_in_three_languages, in_thread, log_in, new_page, password_supplier,
                                   server, watch)
from tests.helpers import send_account_emails

pytestmark = BROWSER_MARKS
NEW_PASSWORD = "Windy-Almaty-morning-7"


def mailed_link(server) -> str:
    """The link of the one account e-mail the pages' requests enqueued, on the test server."""
    (message,) = in_thread(send_account_emails)
    link = re.search(r"http\S+#uid=\S+", message.body).group(0)
    return re.sub(r"^https?://[^/]+", server, link)


def with_email(user, confirmed: bool):
    user.email = f"{user.username}@builders.kz"
    user.confirmed_email = user.email if confirmed else ""
    user.save(update_fields=["email", "confirmed_email"])
    return user


def signed_out(page, server) -> bool:
    page.goto(server + "/api/auth/me/")
    return '"authenticated":false' in page.inner_text("body").replace(" ", "")


def test_a_supplier_who_forgot_its_password_resets_it_by_e_mail(password_supplier, server, browser):
    in_thread(with_email, password_supplier, True)
    page = new_page(browser)
    problems = watch(page)
    # the log-in page leads to the form; the answer says nothing of the account
    page.goto(server + "/login/")
    page.click("text=Forgot your password?")
    page.fill("#email", password_supplier.email)
    page.click("main button[type=submit]")
    page.locator("#sent").wait_for()
    assert page.locator("#reset").is_hidden()
    link = mailed_link(server)

    # the e-mailed link: the token leaves the address bar, the new password is set
    page.goto(link)
    page.wait_for_load_state("networkidle")
    assert "#" not in page.url and "token" not in page.url
    page.fill("#password", "12345")
    page.click("main button[type=submit]")
    page.locator("#password-error", has_text="too short").wait_for()
    page.fill("#password", NEW_PASSWORD)
    page.click("main button[type=submit]")
    page.locator("#done").wait_for()

    # the link works once
    page.goto(server + "/login/")
    page.goto(link)
    page.fill("#password", "Another-Steppe-88")
    page.click("main button[type=submit]")
    page.locator("#invalid", has_text="not valid").wait_for()
    log_in(page, server, password_supplier.username, NEW_PASSWORD)
    assert problems == []


def test_a_weak_new_password_is_refused_in_kazakh(password_supplier, server, browser):
    in_thread(with_email, password_supplier, True)
    page = new_page(browser, "kk")
    page.goto(server + "/password/reset/")
    page.fill("#email", password_supplier.email)
    page.click("main button[type=submit]")
    page.locator("#sent").wait_for()
    page.goto(mailed_link(server))
    # the validators' rules are the hint, in Kazakh, and their refusal too
    assert "таңбадан" in page.inner_text("#password-hint")
    page.fill("#password", "491726385017")
    page.click("main button[type=submit]")
    page.locator("#password-error", has_text="цифрлардан").wait_for()


def test_a_password_change_on_the_account_page_signs_out_the_other_sessions(password_supplier, server, browser):
    elsewhere = new_page(browser)
    log_in(elsewhere, server, password_supplier.username)
    page = new_page(browser, "ru")
    problems = watch(page)
    log_in(page, server, password_supplier.username)

    page.fill("#old_password", "not-my-password")
    page.fill("#new_password", NEW_PASSWORD)
    page.click("#change-password button[type=submit]")
    page.locator("#old_password-error", has_text="Текущий пароль указан неверно").wait_for()

    page.fill("#old_password", SUPPLIER_PASSWORD)
    page.fill("#new_password", NEW_PASSWORD)
    page.click("#change-password button[type=submit]")
    page.locator("#password-changed", has_text="Пароль изменён").wait_for()

    assert not signed_out(page, server)
    assert signed_out(elsewhere, server)
    assert problems == []


def test_a_supplier_confirms_its_e_mail_address_from_the_account_page(password_supplier, server, browser):
    in_thread(with_email, password_supplier, False)
    page = new_page(browser)
    problems = watch(page)
    log_in(page, server, password_supplier.username)
    assert "not confirmed yet" in page.inner_text("#email-state")

    page.click("#resend")
    page.locator("#resend-result", has_text="on its way").wait_for()
    page.goto(mailed_link(server))
    page.locator("#done").wait_for()
    assert "#" not in page.url

    page.goto(server + "/account/")
    assert "confirmed" in page.inner_text("#email-state") and page.locator("#resend").count() == 0
    assert problems == []


def test_the_account_pages_in_three_languages(password_supplier, server, browser):
    in_thread(with_email, password_supplier, False)

    def sign_in(page):
        log_in(page, server, password_supplier.username)

    def shown(page, lang, width, name):
        expected = {"password-reset": "#reset", "password-reset-link": "#incomplete", "account": "#change-password",
                    "confirm-email-link": "#failed"}[name]
        return [] if page.locator(expected).is_visible() else [f"{lang} {name}: {expected} is not shown"]

    failures = check_in_three_languages(browser, server, sign_in, {
        "password-reset": "/password/reset/",
        "password-reset-link": "/password/reset/confirm/",  # opened without its fragment: incomplete
        "account": "/account/",
        "confirm-email-link": "/account/confirm-email/",
    }, shown)
    assert failures == []
