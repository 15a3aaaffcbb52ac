"""Email subscriptions: double opt-in, told once of each release and correction, one-click out."""

import datetime
import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from reports import alerts, workflow
from reports.models import Alert, AnnualReport, Notification, Subscription
from tests.factories import (
    get_area,
    make_report,
    make_subscription,
    open_year,
    reopen_and_approve,
)

# Real commits: emails go only once the change is committed (transaction.on_commit).
pytestmark = pytest.mark.django_db(transaction=True)
Status = AnnualReport.Status
SUBSCRIBE = "/subscribe/reports/2011-12/"
PUBLISH = "/manage/reports/2011-12/kent/actions/publish/"
LINK = re.compile(r"http://\S+")


def links(message):
    return LINK.findall(message.body)


def subscribe(client, email, url=SUBSCRIBE, **extra):
    return client.post(url, {"email": email}, **extra)


def released_year(**fields):
    """2011-12, its release time passed, with Kent's report approved and waiting for the timer."""
    year = open_year(2011, release_at=timezone.now() - datetime.timedelta(minutes=1), **fields)
    make_report("kent", year=year, status=Status.APPROVED)
    return year


def correct(national, national_admin, note="Level 1 total corrected.", tell="yes"):
    report = reopen_and_approve(AnnualReport.objects.get(area__slug="kent"), national_admin, note)
    data = {
        "publish-version": report.version,
        "confirm": "yes",
        "publish-note": note,
        "publish-tell_subscribers": tell,
    }
    assert national.post(PUBLISH, data).status_code == 302


def test_a_subscriber_confirms_is_told_once_of_release_and_correction_and_leaves_in_one_click(
    client, national, national_admin
):
    year = released_year()
    response = subscribe(client, "Reader@Example.com")
    assert response.status_code == 302 and response["Location"] == "/subscribe/check-your-email/"
    [confirmation] = mail.outbox
    assert confirmation.to == ["reader@example.com"]
    assert "Confirm your subscription" in confirmation.subject
    confirm_link = links(confirmation)[0]
    assert "/subscriptions/confirm/" in confirm_link
    path = confirm_link.removeprefix("http://127.0.0.1:8000")
    assert "Confirm my subscription" in client.get(path).content.decode()
    assert "Subscription confirmed" in client.post(path).content.decode()
    assert Subscription.objects.get().confirmed_at is not None

    # The release timer, twice (a retry, a second worker): one email.
    mail.outbox.clear()
    assert workflow.release_due() != []
    workflow.release_due()
    [release] = mail.outbox
    assert release.subject == f"Released: MAPPA annual reports {year}"
    assert "/reports/2011-12/" in release.body

    mail.outbox.clear()
    correct(national, national_admin, note="The Level 1 total was 21 and is 12.")
    workflow.release_due()
    [correction] = mail.outbox
    assert correction.subject == "Corrected: Kent MAPPA annual report 2011-12"
    assert "The Level 1 total was 21 and is 12." in correction.body

    # One click: the List-Unsubscribe link, POSTed as a mail client does (RFC 8058).
    unsubscribe = correction.extra_headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in correction.body
    assert correction.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    response = client.post(unsubscribe.removeprefix("http://127.0.0.1:8000"))
    assert "You have unsubscribed" in response.content.decode()
    assert not Subscription.objects.exists()

    mail.outbox.clear()
    correct(national, national_admin, note="Recounted again.")
    assert mail.outbox == []


def test_unconfirmed_subscribers_get_nothing(client, national, national_admin):
    released_year()
    subscribe(client, "reader@example.com")
    mail.outbox.clear()
    workflow.release_due()
    correct(national, national_admin)
    workflow.release_due()
    assert mail.outbox == []
    assert Alert.objects.filter(kind=Alert.Kind.CORRECTED).exists()


def test_a_correction_the_approver_chose_not_to_tell_is_not_emailed(national, national_admin):
    year = released_year()
    make_subscription("reader@example.com", year=year)
    workflow.release_due()
    mail.outbox.clear()
    correct(national, national_admin, tell="no")
    workflow.release_due()
    assert mail.outbox == []


def test_an_address_subscribed_to_the_year_and_the_area_is_told_of_a_correction_once(
    national, national_admin
):
    year = released_year()
    make_subscription("reader@example.com", year=year)
    make_subscription("reader@example.com", area=get_area("kent"))
    workflow.release_due()
    mail.outbox.clear()
    correct(national, national_admin)
    workflow.release_due()
    assert [m.subject for m in mail.outbox if "Corrected" in m.subject] == [mail.outbox[0].subject]
    assert len(mail.outbox) == 1


def test_subscribers_are_told_when_a_release_is_confirmed_and_moved():
    year = open_year(2011)
    make_subscription("reader@example.com", year=year)
    first = timezone.make_aware(datetime.datetime(2027, 10, 28, 9, 30))
    workflow.set_release_time(year, first)
    workflow.set_release_time(year, first + datetime.timedelta(days=7), reason="Late returns.")
    workflow.set_release_time(year, first + datetime.timedelta(days=7))  # no change: no email
    confirmed, moved = mail.outbox
    assert confirmed.subject == "Release confirmed: MAPPA annual reports 2011-12"
    assert "28 October 2027 at 09:30" in confirmed.body
    assert moved.subject == "Release moved: MAPPA annual reports 2011-12"
    assert "from 28 October 2027 at 09:30 to 4 November 2027 at 09:30" in moved.body
    assert "Reason: Late returns." in moved.body


def test_nothing_is_announced_before_the_release_time(national_admin):
    year = open_year(2011, release_at=timezone.now() + datetime.timedelta(days=1))
    make_subscription("reader@example.com", year=year)
    make_subscription("kent-reader@example.com", area=get_area("kent"))
    report = make_report("kent", year=year, status=Status.APPROVED)
    workflow.perform(report, "publish", national_admin, report.version)  # scheduled
    workflow.release_due()
    assert mail.outbox == []
    assert not Alert.objects.exists()


def test_an_areas_subscribers_hear_of_its_reports_only():
    released_year()
    make_subscription("kent-reader@example.com", area=get_area("kent"))
    make_subscription("essex-reader@example.com", area=get_area("essex"))
    workflow.release_due()
    [published] = mail.outbox
    assert published.to == ["kent-reader@example.com"]
    assert published.subject == "Published: Kent MAPPA annual report 2011-12"


def test_delivering_an_alert_again_sends_nothing_more():
    year = released_year()
    make_subscription("reader@example.com", year=year)
    workflow.release_due()
    alert = Alert.objects.get(kind=Alert.Kind.RELEASED)
    assert alerts.deliver(alert.pk) == 0
    assert alerts.deliver_pending() == 0
    assert len(mail.outbox) == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(subscription=Subscription.objects.get(), alert=alert)


def test_asking_again_reveals_nothing_about_who_is_subscribed(client):
    year = open_year(2011)
    make_subscription("known@example.com", year=year)
    known, unknown = subscribe(client, "known@example.com"), subscribe(client, "new@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    reminder, confirmation = mail.outbox
    assert reminder.subject.startswith("You are already subscribed")
    assert "/subscriptions/confirm/" not in reminder.body
    assert confirmation.subject.startswith("Confirm your subscription")
    assert Subscription.objects.filter(confirmed_at__isnull=True).count() == 1


def test_subscription_requests_are_limited_per_address(client, settings):
    open_year(2011)
    settings.SUBSCRIPTIONS_PER_ADDRESS = 2
    for _ in range(2):
        assert subscribe(client, "reader@example.com").status_code == 302
    refused = subscribe(client, "reader@example.com")
    assert refused.status_code == 429
    assert "You have asked to subscribe too many times" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_subscription_requests_are_limited_per_client(client, settings):
    open_year(2011)
    settings.SUBSCRIPTIONS_PER_CLIENT = 2
    for n in range(2):
        assert subscribe(client, f"reader{n}@example.com").status_code == 302
    assert subscribe(client, "someone-else@example.com").status_code == 429
    assert Subscription.objects.count() == 2


def test_a_bad_address_is_refused_with_a_clear_message(client):
    open_year(2011)
    response = subscribe(client, "not an address")
    assert response.status_code == 200
    assert "Enter an email address in the correct format" in response.content.decode()
    assert not Subscription.objects.exists()


def test_the_form_says_the_address_is_used_for_nothing_else(client):
    open_year(2011)
    page = client.get(SUBSCRIBE).content.decode()
    assert "We use it only to send you these updates, and for nothing else." in page
    get_area("kent")
    assert client.get("/subscribe/areas/kent/").status_code == 200
    assert client.get("/subscribe/areas/nowhere/").status_code == 404
    assert client.get("/subscribe/reports/2099-00/").status_code == 404


def test_a_tampered_link_is_explained_and_changes_nothing(client):
    open_year(2011)
    subscribe(client, "reader@example.com")
    path = links(mail.outbox[0])[0].removeprefix("http://127.0.0.1:8000")
    tampered = path.replace("/confirm/", "/confirm/x")
    for response in (client.get(tampered), client.post(tampered)):
        assert "This link is not valid" in response.content.decode()
    assert Subscription.objects.get().confirmed_at is None
    assert (
        "This link is not valid"
        in client.post("/subscriptions/unsubscribe/nonsense/").content.decode()
    )
    assert Subscription.objects.exists()


def test_an_expired_confirmation_link_is_refused(client, monkeypatch):
    open_year(2011)
    subscribe(client, "reader@example.com")
    path = links(mail.outbox[0])[0].removeprefix("http://127.0.0.1:8000")
    later = timezone.now().timestamp() + 8 * 24 * 3600
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    assert "This link has expired" in client.post(path).content.decode()
    assert Subscription.objects.get().confirmed_at is None


def test_a_release_set_and_moved_in_the_admin_is_told_once_each():
    from django.contrib.auth import get_user_model

    from tests.conftest import signed_in

    year = open_year(2011)
    make_subscription("reader@example.com", year=year)
    root = get_user_model().objects.create_superuser("root@example.gov.uk", password="x" * 20)
    admin = signed_in(root)
    page = f"/admin/reports/reportingyear/{year.pk}/change/"
    fields = {"start_year": "2011", "return_template": "", "is_open": "on"}
    for day in ("2027-10-28", "2027-11-04"):
        response = admin.post(page, {**fields, "release_date": day, "release_time": "09:30"})
        assert response.status_code == 302
    confirmed, moved = mail.outbox
    assert confirmed.subject == "Release confirmed: MAPPA annual reports 2011-12"
    assert moved.subject == "Release moved: MAPPA annual reports 2011-12"
    assert "to 4 November 2027 at 09:30" in moved.body


def test_a_calendar_can_confirm_a_provisional_release_time_unchanged():
    release = timezone.make_aware(datetime.datetime(2027, 10, 28, 9, 30))
    year = open_year(2011, release_at=release)
    make_subscription("reader@example.com", year=year)
    with transaction.atomic():
        alerts.release_changed(year, release, kind=Alert.Kind.RELEASE_CONFIRMED)
    [confirmed] = mail.outbox
    assert confirmed.subject == "Release confirmed: MAPPA annual reports 2011-12"
    assert "will be published on 28 October 2027 at 09:30" in confirmed.body
    assert alerts.release_changed(year, release) is None  # nothing changed, nothing said
