"""Accounts run by the national team: invitations, area access, deactivation, and the record."""

import datetime
import re
import time
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.utils import timezone

from reports import accounts
from reports.models import AccountEvent
from tests.conftest import signed_in
from tests.factories import get_area, make_user, open_year

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a long and memorable passphrase"
INVITE = "/manage/accounts/invite/"


def invite(client, email="dee@derbyshire.example.gov.uk", areas=("derbyshire",), **fields):
    """The national team's invitation, as the form posts it."""
    data = {
        "first_name": "Dee",
        "last_name": "Byshire",
        "email": email,
        "areas": [get_area(slug).pk for slug in areas],
        **fields,
    }
    return client.post(INVITE, data)


def link_in(email) -> str:
    """The path of the invitation link in `email`."""
    found = re.search(r"http://127\.0\.0\.1:8000(/account/invitation/\S+/)", email.body)
    assert found, email.body
    return found.group(1)


def invited(national, capture, **kwargs) -> tuple[User, str]:
    """Invite someone and return their account and the path of the link emailed to them."""
    with capture(execute=True):
        response = invite(national, **kwargs)
    assert response.status_code == 302, response.content.decode()
    user = User.objects.get(email__iexact=kwargs.get("email", "dee@derbyshire.example.gov.uk"))
    return user, link_in(mail.outbox[-1])


def set_password(link: str, password: str = NEW_PASSWORD, client: Client | None = None):
    client = client or Client()
    return client.post(link, {"new_password1": password, "new_password2": password})


def sign_in(email: str, password: str = NEW_PASSWORD) -> tuple[Client, str]:
    client = Client()
    response = client.post("/account/sign-in/", {"username": email, "password": password})
    return client, response.content.decode() if response.status_code == 200 else ""


# --- Inviting --------------------------------------------------------------------------------


def test_the_invitation_is_emailed_once_after_the_account_is_committed(
    national, national_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = invite(national, areas=("derbyshire", "nottinghamshire"))
        assert mail.outbox == []  # nothing goes before the account exists for good
    assert response.status_code == 302
    for callback in callbacks:
        callback()
    [email] = mail.outbox
    assert email.to == ["dee@derbyshire.example.gov.uk"]
    assert email.subject == "You have been invited to MAPPA Portal"
    assert "Derbyshire and Nottinghamshire" in email.body
    assert "works once" in email.body
    account = User.objects.get(email="dee@derbyshire.example.gov.uk")
    assert account.username == account.email  # sign-in stays by email address
    assert not account.has_usable_password()
    assert response["Location"] == f"/manage/accounts/{account.pk}/"


def test_the_success_notification_names_the_address_but_never_shows_the_link(
    national, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(national)
    page = national.get(response["Location"]).content.decode()
    assert "govuk-notification-banner--success" in page
    assert "Dee Byshire has been invited" in page
    assert "dee@derbyshire.example.gov.uk" in page
    assert "/account/invitation/" not in page
    assert link_in(mail.outbox[0]) not in page


def test_an_address_with_an_account_is_refused_whatever_its_case(
    national, kent_coordinator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(national, email="KIM@Kent.example.gov.uk")
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is already an account for this email address." in html
    assert User.objects.count() == 2 and mail.outbox == []


def test_an_invitation_needs_a_name_an_address_and_an_area(national):
    html = national.post(INVITE, {"email": "not an address"}).content.decode()
    for message in (
        "Enter their first name.",
        "Enter their last name.",
        "Enter an email address in the correct format, like name@example.gov.uk.",
        "Select at least one area.",
    ):
        assert message in html
    assert "<title>Error: Invite a coordinator" in html
    assert not User.objects.filter(email="not an address").exists()


def test_addresses_are_stored_in_lower_case(national, django_capture_on_commit_callbacks):
    invited(national, django_capture_on_commit_callbacks, email="Dee.Byshire@Derbyshire.gov.uk")
    assert User.objects.filter(username="dee.byshire@derbyshire.gov.uk").exists()


# --- The invitation link -------------------------------------------------------------------


def test_a_coordinator_invited_for_two_areas_sets_a_password_and_sees_both(
    national, django_capture_on_commit_callbacks
):
    open_year(2025)
    account, link = invited(
        national, django_capture_on_commit_callbacks, areas=("derbyshire", "nottinghamshire")
    )
    page = Client().get(link).content.decode()
    assert "Create your password" in page
    assert "dee@derbyshire.example.gov.uk" in page
    response = set_password(link)
    assert response["Location"] == "/account/sign-in/"
    client, _ = sign_in(account.email)
    dashboard = client.get("/manage/").content.decode()
    assert "Derbyshire" in dashboard and "Nottinghamshire" in dashboard
    assert 'href="/manage/reports/2025-26/derbyshire/start/"' in dashboard
    assert 'href="/manage/reports/2025-26/nottinghamshire/start/"' in dashboard
    assert "Kent" not in dashboard


def test_the_link_sets_a_password_only_once(national, django_capture_on_commit_callbacks):
    account, link = invited(national, django_capture_on_commit_callbacks)
    set_password(link)
    second = set_password(link, "someone else's passphrase")
    html = second.content.decode()
    assert "This invitation cannot be used" in html
    assert "already been used to set a password" in html
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert "already been used" in Client().get(link).content.decode()


def test_an_expired_link_is_refused(national, django_capture_on_commit_callbacks):
    account, _ = invited(national, django_capture_on_commit_callbacks)
    eight_days_ago = time.time() - 8 * 24 * 60 * 60
    with mock.patch("django.core.signing.time") as clock:
        clock.time.return_value = eight_days_ago
        token = accounts.invitation_token(account)
    link = f"/account/invitation/{token}/"
    html = set_password(link).content.decode()
    assert "This invitation has expired: invitations work for 7 days." in html
    account.refresh_from_db()
    assert not account.has_usable_password()


def test_a_link_still_works_on_its_seventh_day(national, django_capture_on_commit_callbacks):
    account, _ = invited(national, django_capture_on_commit_callbacks)
    with mock.patch("django.core.signing.time") as clock:
        clock.time.return_value = time.time() - 6.9 * 24 * 60 * 60
        token = accounts.invitation_token(account)
    assert set_password(f"/account/invitation/{token}/").status_code == 302


def test_a_new_invitation_replaces_the_old_link(
    national, national_admin, django_capture_on_commit_callbacks
):
    account, old_link = invited(national, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        national.post(f"/manage/accounts/{account.pk}/invite-again/")
    new_link = link_in(mail.outbox[-1])
    assert len(mail.outbox) == 2 and new_link != old_link
    assert "A newer invitation has been sent" in set_password(old_link).content.decode()
    assert set_password(new_link).status_code == 302


def test_a_tampered_or_made_up_link_is_refused(national, django_capture_on_commit_callbacks):
    account, link = invited(national, django_capture_on_commit_callbacks)
    tampered = link.replace(link[-6:-1], "AAAAA")
    for path in (tampered, "/account/invitation/not-a-token/"):
        html = set_password(path).content.decode()
        assert "This invitation link is not valid." in html
    account.refresh_from_db()
    assert not account.has_usable_password()


def test_a_deactivated_accounts_invitation_no_longer_works(
    national, django_capture_on_commit_callbacks
):
    account, link = invited(national, django_capture_on_commit_callbacks)
    national.post(f"/manage/accounts/{account.pk}/deactivate/")
    assert "This invitation link is not valid." in set_password(link).content.decode()


def test_passwords_that_do_not_match_or_are_too_short_are_explained(
    national, django_capture_on_commit_callbacks
):
    account, link = invited(national, django_capture_on_commit_callbacks)
    html = (
        Client()
        .post(link, {"new_password1": NEW_PASSWORD, "new_password2": "something else"})
        .content.decode()
    )
    assert "The passwords do not match. Enter the same password twice." in html
    assert "This password is too short" in set_password(link, "short").content.decode()
    assert "Enter a password." in Client().post(link, {}).content.decode()
    account.refresh_from_db()
    assert not account.has_usable_password()


def test_someone_invited_cannot_sign_in_before_setting_a_password(
    national, django_capture_on_commit_callbacks
):
    account, _ = invited(national, django_capture_on_commit_callbacks)
    client, html = sign_in(account.email, "any password at all")
    assert "Enter a correct email address and password." in html
    assert client.get("/manage/").status_code == 302


# --- Changing access -----------------------------------------------------------------------


def test_changed_areas_take_effect_at_once(national, kent, kent_coordinator):
    open_year(2025)
    assert kent.get("/manage/reports/2025-26/kent/start/").status_code == 200
    essex = get_area("essex")
    response = national.post(
        f"/manage/accounts/{kent_coordinator.pk}/areas/", {"areas": [essex.pk]}
    )
    assert response.status_code == 302
    # The same session, with no new sign-in: Kent is gone, Essex is there.
    assert kent.get("/manage/reports/2025-26/kent/start/").status_code == 404
    assert kent.get("/manage/reports/2025-26/essex/start/").status_code == 200
    page = national.get(response["Location"]).content.decode()
    assert "Added Essex. Removed Kent." in page


def test_removing_every_area_is_refused_with_a_pointer_to_deactivation(national, kent_coordinator):
    html = national.post(f"/manage/accounts/{kent_coordinator.pk}/areas/", {}).content.decode()
    assert "Select at least one area. To take away all access, deactivate the account" in html
    assert kent_coordinator.coordinated_areas.count() == 1
    assert not AccountEvent.objects.exists()


def test_saving_the_same_areas_records_nothing(national, kent_coordinator):
    kent_pk = kent_coordinator.coordinated_areas.get().area_id
    response = national.post(
        f"/manage/accounts/{kent_coordinator.pk}/areas/", {"areas": [kent_pk]}, follow=True
    )
    assert "Nothing had changed, so nothing was saved." in response.content.decode()
    assert not AccountEvent.objects.exists()


def test_the_areas_page_starts_from_the_current_areas(national, kent_coordinator):
    html = national.get(f"/manage/accounts/{kent_coordinator.pk}/areas/").content.decode()
    kent_pk = kent_coordinator.coordinated_areas.get().area_id
    assert re.search(rf'value="{kent_pk}"[^>]*checked', html)


# --- Deactivating --------------------------------------------------------------------------


def test_a_deactivated_account_is_signed_out_at_once_and_cannot_sign_in(
    national, kent, kent_coordinator
):
    assert kent.get("/manage/").status_code == 200
    national.post(f"/manage/accounts/{kent_coordinator.pk}/deactivate/")
    assert kent.get("/manage/")["Location"].startswith("/account/sign-in/")
    client, html = sign_in(kent_coordinator.email, PASSWORD)
    assert "This account has been deactivated." in html
    assert html.count("This account has been deactivated.") == 1
    assert client.get("/manage/").status_code == 302


def test_a_wrong_password_for_a_deactivated_account_says_no_more_than_for_anyone(
    national, kent_coordinator
):
    national.post(f"/manage/accounts/{kent_coordinator.pk}/deactivate/")
    _, deactivated = sign_in(kent_coordinator.email, "wrong")
    _, nobody = sign_in("nobody@example.gov.uk", "wrong")
    assert "Enter a correct email address and password." in deactivated
    assert "deactivated" not in deactivated
    assert _main(deactivated).replace(kent_coordinator.email, "") == _main(nobody).replace(
        "nobody@example.gov.uk", ""
    )


def _main(html: str) -> str:
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main)


def test_a_reactivated_account_signs_in_with_its_areas(national, kent_coordinator):
    national.post(f"/manage/accounts/{kent_coordinator.pk}/deactivate/")
    response = national.post(f"/manage/accounts/{kent_coordinator.pk}/reactivate/", follow=True)
    assert "Kim Lee&#x27;s account is reactivated" in response.content.decode()
    client, _ = sign_in(kent_coordinator.email, PASSWORD)
    assert "Kent" in client.get("/manage/").content.decode()


def test_nobody_deactivates_their_own_account(national, national_admin):
    page = national.get(f"/manage/accounts/{national_admin.pk}/").content.decode()
    assert "Deactivate the account" not in page
    response = national.post(f"/manage/accounts/{national_admin.pk}/deactivate/", follow=True)
    assert "You cannot deactivate your own account." in response.content.decode()
    national_admin.refresh_from_db()
    assert national_admin.is_active


def test_only_a_superuser_deactivates_a_superuser(national):
    root = User.objects.create_superuser("root@example.gov.uk", "root@example.gov.uk", PASSWORD)
    response = national.post(f"/manage/accounts/{root.pk}/deactivate/", follow=True)
    assert "only another superuser can deactivate them" in response.content.decode()
    root.refresh_from_db()
    assert root.is_active


def test_an_account_that_set_its_password_is_not_invited_again(national, kent_coordinator):
    response = national.post(f"/manage/accounts/{kent_coordinator.pk}/invite-again/", follow=True)
    assert "Kim Lee has already set a password." in response.content.decode()
    assert mail.outbox == [] and not AccountEvent.objects.exists()


# --- The record, and the list --------------------------------------------------------------


def test_every_change_is_recorded_and_shown_on_the_accounts_page(
    national, national_admin, django_capture_on_commit_callbacks
):
    account, _ = invited(national, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        national.post(f"/manage/accounts/{account.pk}/invite-again/")
    set_password(link_in(mail.outbox[-1]))
    kent_pk = get_area("kent").pk
    national.post(f"/manage/accounts/{account.pk}/areas/", {"areas": [kent_pk]})
    national.post(f"/manage/accounts/{account.pk}/deactivate/")
    national.post(f"/manage/accounts/{account.pk}/reactivate/")

    record = list(
        AccountEvent.objects.filter(account=account)
        .order_by("at", "pk")
        .values_list("by__email", "action", "detail")
    )
    nat = national_admin.email
    assert record == [
        (nat, "invited", "To coordinate Derbyshire."),
        (nat, "invited_again", "Earlier invitation links no longer work."),
        (account.email, "password_set", ""),
        (nat, "areas_changed", "Added Kent. Removed Derbyshire."),
        (nat, "deactivated", ""),
        (nat, "reactivated", ""),
    ]
    page = national.get(f"/manage/accounts/{account.pk}/").content.decode()
    assert "Changes to this account" in page
    for words in (
        "Invited: To coordinate Derbyshire.",
        "Changed area access: Added Kent. Removed Derbyshire.",
        "Deactivated the account",
        "Reactivated the account",
        "Set a password from the invitation",
    ):
        assert words in page


def test_the_list_shows_who_which_areas_where_they_stand_and_last_sign_in(
    national, kent_coordinator, national_admin, django_capture_on_commit_callbacks
):
    kent_coordinator.last_login = timezone.make_aware(datetime.datetime(2026, 3, 2, 10, 15))
    kent_coordinator.save()
    invited(national, django_capture_on_commit_callbacks, areas=("derbyshire", "nottinghamshire"))
    gone = make_user("gone@essex.example.gov.uk", areas=("essex",), is_active=False)
    stale, _ = invited(
        national, django_capture_on_commit_callbacks, email="late@surrey.example.gov.uk"
    )
    AccountEvent.objects.filter(account=stale).update(
        at=timezone.now() - datetime.timedelta(days=8)
    )
    html = national.get("/manage/accounts/").content.decode()
    rows = {
        re.sub(r"<[^>]+>|\s+", " ", row).strip()
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', html, re.S)
    }

    def row_of(email):
        [row] = [r for r in rows if email in r]
        return " ".join(row.split())

    assert row_of("kim@kent.example.gov.uk") == (
        "Kim Lee kim@kent.example.gov.uk Kent Active 2 March 2026, 10:15"
    )
    assert row_of("dee@derbyshire") == (
        "Dee Byshire dee@derbyshire.example.gov.uk Derbyshire, Nottinghamshire Invited Never"
    )
    assert row_of(gone.email).endswith("Essex Deactivated Never")
    assert "Invitation expired" in row_of("late@surrey")
    assert "National team" in row_of(national_admin.email)


# --- Who may do it -------------------------------------------------------------------------


def account_pages(account_pk: int) -> list[str]:
    return [
        "/manage/accounts/",
        INVITE,
        f"/manage/accounts/{account_pk}/",
        f"/manage/accounts/{account_pk}/areas/",
        f"/manage/accounts/{account_pk}/deactivate/",
        f"/manage/accounts/{account_pk}/reactivate/",
        f"/manage/accounts/{account_pk}/invite-again/",
    ]


def test_coordinators_reach_none_of_it_and_change_nothing(kent, other_coordinator):
    essex = get_area("essex").pk
    for url in account_pages(other_coordinator.pk):
        # 405 only where the method is never allowed, whoever asks.
        assert kent.get(url).status_code in (404, 405), url
        response = kent.post(url, {"areas": [essex], "email": "x@example.gov.uk"})
        assert response.status_code in (404, 405), url
    other_coordinator.refresh_from_db()
    assert other_coordinator.is_active and not AccountEvent.objects.exists()
    assert mail.outbox == []


def test_the_public_is_sent_to_sign_in(client, kent_coordinator):
    for url in account_pages(kent_coordinator.pk):
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302
            assert response["Location"].startswith("/account/sign-in/?next=")
    kent_coordinator.refresh_from_db()
    assert kent_coordinator.is_active


def test_reviewing_reports_alone_does_not_give_account_management(kent_coordinator):
    from django.contrib.auth.models import Permission

    reviewer = make_user("rev@justice.example.gov.uk")
    reviewer.user_permissions.add(Permission.objects.get(codename="review_report"))
    client = signed_in(reviewer)
    assert client.get("/manage/accounts/").status_code == 404
    assert "Accounts</a>" not in client.get("/manage/").content.decode()


def test_an_unknown_account_is_a_404(national):
    assert national.get("/manage/accounts/999999/").status_code == 404
    assert national.post("/manage/accounts/999999/deactivate/").status_code == 404


# --- The back office, consistent with the accounts page ------------------------------------


@pytest.fixture
def national_staff(db):
    return signed_in(make_user("staff@justice.example.gov.uk", national=True, is_staff=True))


def test_the_back_office_lists_users_and_adding_one_opens_the_invitation(national_staff):
    index = national_staff.get("/admin/").content.decode()
    assert 'href="/admin/auth/user/"' in index
    users = national_staff.get("/admin/auth/user/")
    assert users.status_code == 200
    assert 'href="/manage/accounts/invite/"' in users.content.decode()
    assert national_staff.get("/admin/auth/user/add/")["Location"] == INVITE


def test_the_back_office_changes_no_access_behind_the_records_back(
    national_staff, kent_coordinator
):
    assert national_staff.post("/admin/reports/areacoordinator/add/").status_code == 403
    change = f"/admin/auth/user/{kent_coordinator.pk}/change/"
    assert national_staff.post(change, {"is_active": ""}).status_code == 403
    assert national_staff.post(f"/admin/auth/user/{kent_coordinator.pk}/delete/").status_code == 403
    kent_coordinator.refresh_from_db()
    assert kent_coordinator.is_active


# --- Who is signed in ----------------------------------------------------------------------


def test_staff_pages_show_who_is_signed_in_and_sign_out(kent, national):
    open_year(2010)
    for client, url, name in (
        (kent, "/manage/", "Kim Lee"),
        (national, "/manage/", "nat@justice.example.gov.uk"),
        (national, "/manage/tracker/2010-11/", "nat@justice.example.gov.uk"),
        (national, "/manage/accounts/", "nat@justice.example.gov.uk"),
    ):
        html = client.get(url).content.decode()
        assert re.search(rf"Signed in as <strong[^>]*>{re.escape(name)}</strong>", html), url
        assert ">Sign out</button>" in html


def test_the_national_team_finds_the_accounts_page_in_the_navigation(national, kent):
    assert 'href="/manage/accounts/">Accounts</a>' in national.get("/manage/").content.decode()
    assert 'href="/manage/accounts/"' not in kent.get("/manage/").content.decode()


def test_nobody_is_named_to_the_public(client):
    assert "Signed in as" not in client.get("/").content.decode()


def test_the_migration_lets_whoever_reviews_reports_manage_accounts(db):
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    migration = importlib.import_module("reports.migrations.0007_accounts")
    team = Group.objects.create(name="Team")
    team.permissions.add(Permission.objects.get(codename="review_report"))
    reviewer = make_user("rev@justice.example.gov.uk")
    reviewer.user_permissions.add(Permission.objects.get(codename="review_report"))
    coordinator = make_user("kim@kent.example.gov.uk", areas=("kent",))
    migration.national_team_manages_accounts(apps, None)
    assert team.permissions.filter(codename="manage_accounts").exists()
    assert User.objects.get(pk=reviewer.pk).has_perm("reports.manage_accounts")
    assert not User.objects.get(pk=coordinator.pk).has_perm("reports.manage_accounts")
