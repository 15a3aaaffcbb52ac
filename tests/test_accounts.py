"""Signing in and out, throttled failures, and password reset, in GOV.UK pages."""

import re

import pytest
from django.core import mail

from tests.factories import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def coordinator(db):
    return make_user("kim@kent.example.gov.uk", areas=("kent",))


def test_sign_in_page_is_a_govuk_form(client):
    html = client.get("/account/sign-in/").content.decode()
    assert "Sign in to MAPPA Portal" in html
    assert 'class="govuk-input' in html
    assert "Email address" in html


def test_coordinator_signs_in_and_lands_on_their_reports(client, coordinator):
    response = client.post(
        "/account/sign-in/", {"username": coordinator.username, "password": PASSWORD}
    )
    assert response["Location"] == "/manage/"
    assert client.get("/manage/").status_code == 200


def test_email_address_signs_in_whatever_its_case(client, coordinator):
    response = client.post(
        "/account/sign-in/", {"username": " Kim@Kent.Example.GOV.uk ", "password": PASSWORD}
    )
    assert response["Location"] == "/manage/"


def test_password_stays_case_sensitive(client, coordinator):
    response = client.post(
        "/account/sign-in/", {"username": coordinator.username, "password": PASSWORD.upper()}
    )
    assert "The password is case-sensitive." in response.content.decode()


def test_accounts_spelt_differently_sign_in_only_by_their_exact_address(client, coordinator):
    make_user("KIM@kent.example.gov.uk", areas=("kent",))
    exact = client.post(
        "/account/sign-in/", {"username": "KIM@kent.example.gov.uk", "password": PASSWORD}
    )
    assert exact["Location"] == "/manage/"
    client.logout()
    ambiguous = client.post(
        "/account/sign-in/", {"username": "Kim@Kent.example.gov.uk", "password": PASSWORD}
    )
    assert ambiguous.status_code == 200


def test_sign_in_returns_to_the_page_asked_for(client, coordinator):
    response = client.post(
        "/account/sign-in/?next=/manage/",
        {"username": coordinator.username, "password": PASSWORD, "next": "/manage/"},
    )
    assert response["Location"] == "/manage/"


def test_sign_in_never_redirects_off_site(client, coordinator):
    response = client.post(
        "/account/sign-in/",
        {"username": coordinator.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/manage/"


def test_wrong_password_is_explained_in_an_error_summary(client, coordinator):
    response = client.post(
        "/account/sign-in/", {"username": coordinator.username, "password": "wrong"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Enter a correct email address and password." in html
    assert "<title>Error: Sign in" in html


def test_the_sign_in_error_is_said_once(client, coordinator):
    response = client.post(
        "/account/sign-in/", {"username": coordinator.username, "password": "wrong"}
    )
    html = response.content.decode()
    assert html.count("Enter a correct email address and password.") == 1
    assert "alert-danger" not in html  # crispy's own list of the form's errors, repeated


def test_empty_sign_in_says_what_is_missing(client):
    html = client.post("/account/sign-in/", {}).content.decode()
    assert "Enter your email address." in html
    assert "Enter your password." in html


def test_repeated_failures_lock_the_account_for_a_while(client, coordinator):
    for _ in range(5):
        client.post("/account/sign-in/", {"username": coordinator.username, "password": "wrong"})
    response = client.post(
        "/account/sign-in/", {"username": coordinator.username, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many attempts to sign in" in response.content.decode()
    assert client.get("/manage/").status_code == 302  # still signed out


def test_password_reset_sends_a_link_that_sets_a_new_password(client, coordinator):
    response = client.post("/account/password-reset/", {"email": coordinator.email})
    assert response["Location"] == "/account/password-reset/sent/"
    assert "Check your email" in client.get(response["Location"]).content.decode()
    [email] = mail.outbox
    assert email.subject == "Reset your MAPPA Portal password"
    link = re.search(r"http://testserver(/account/password-reset/\S+/)", email.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    new = "a much longer new passphrase"
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert response["Location"] == "/account/password-reset/complete/"
    coordinator.refresh_from_db()
    assert coordinator.check_password(new)


def test_password_reset_for_an_unknown_address_reveals_nothing(client):
    response = client.post("/account/password-reset/", {"email": "nobody@example.gov.uk"})
    assert response["Location"] == "/account/password-reset/sent/"
    assert mail.outbox == []


def test_expired_reset_link_says_so(client, coordinator):
    html = client.get("/account/password-reset/MQ/not-a-token/").content.decode()
    assert "This link has expired" in html
