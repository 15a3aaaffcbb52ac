"""Hardening, round two: what a request says about its client, its caching, and its limits."""

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
BALANCER = "10.0.0.2"


@pytest.fixture
def coordinator(db):
    return make_user("kim@kent.example.gov.uk", areas=("kent",))


def sign_in(client, user, password, **headers):
    return client.post(
        "/account/sign-in/", {"username": user.username, "password": password}, **headers
    )


# --- Sign-in lockouts key on the client, directly or behind the load balancer --------------


def test_a_direct_client_cannot_dodge_the_lockout_with_a_made_up_forwarded_for(
    client, coordinator, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        sign_in(client, coordinator, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = sign_in(client, coordinator, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429
    assert "Too many attempts to sign in" in response.content.decode()


def test_five_wrong_passwords_behind_the_proxy_lock_out_only_that_client(
    client, coordinator, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    for _ in range(5):
        sign_in(client, coordinator, "wrong", **attacker)
    assert sign_in(client, coordinator, PASSWORD, **attacker).status_code == 429

    colleague = {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    response = sign_in(client, coordinator, PASSWORD, **colleague)
    assert response.status_code == 302
    assert response["Location"] == "/manage/"


def test_behind_the_proxy_the_client_is_the_address_the_proxy_appended(
    client, coordinator, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    # The attacker claims to be the colleague; the balancer appends the attacker's own address.
    for n in range(5):
        sign_in(
            client,
            coordinator,
            "wrong",
            REMOTE_ADDR=BALANCER,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.5",
        )
    locked = sign_in(
        client,
        coordinator,
        PASSWORD,
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5",
    )
    assert locked.status_code == 429
    fine = sign_in(
        client, coordinator, PASSWORD, REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert fine.status_code == 302
