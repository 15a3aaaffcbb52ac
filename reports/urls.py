"""URL patterns: `reports` (public), `manage` (back office) and `accounts` (signing in)."""

from django.contrib.auth import views as auth_views
from django.urls import path, register_converter, reverse_lazy
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from .caching import public_cache
from .converters import YearLabelConverter
from .feeds import ReleasesFeed
from .forms import SignInForm
from .views import (
    about,
    account_management,
    accounts,
    collection,
    manage,
    public,
    releases,
    review,
    standard_texts,
    subscriptions,
)

register_converter(YearLabelConverter, "year")

REPORT = "reports/<year:year>/<slug:area>"

public_patterns = [
    path("", public.home, name="home"),
    path("healthz", public.health, name="health"),
    # Before the report pattern, which would otherwise take "compare" for an area.
    path("reports/<year:year>/compare/", public.compare_areas, name="compare"),
    path(f"{REPORT}/", public.report_detail, name="report"),
    path(f"{REPORT}/revisions/<int:number>/", public.revision_detail, name="revision"),
    path(f"{REPORT}/revisions/<int:number>/report.pdf", public.revision_pdf, name="revision-pdf"),
    *(
        path(
            f"{REPORT}/revisions/<int:number>/figures.{fmt}",
            public.revision_download,
            {"fmt": fmt},
            name=f"revision-{fmt}",
        )
        for fmt in ("csv", "json")
    ),
    path(f"{REPORT}/figures.csv", public.report_download, {"fmt": "csv"}, name="report-csv"),
    path(f"{REPORT}/figures.json", public.report_download, {"fmt": "json"}, name="report-json"),
    path("reports/<year:year>/figures.csv", public.year_download, {"fmt": "csv"}, name="year-csv"),
    path(
        "reports/<year:year>/figures.json", public.year_download, {"fmt": "json"}, name="year-json"
    ),
    path(
        "reports/<year:year>/figures.xlsx", public.year_download, {"fmt": "xlsx"}, name="year-xlsx"
    ),
    *(
        path(
            f"reports/<year:year>/editions/<str:stamp>/figures.{fmt}",
            public.edition_download,
            {"fmt": fmt},
            name=f"edition-{fmt}",
        )
        for fmt in ("csv", "json")
    ),
    path("data/", public.data_dictionary, name="data"),
    path("data/all-years.csv", public.all_download, {"fmt": "csv"}, name="all-csv"),
    path("data/all-years.json", public.all_download, {"fmt": "json"}, name="all-json"),
    path("data/series/<slug:key>/", public.series_detail, name="series"),
    path("data/series/<slug:key>.csv", public.series_download, name="series-csv"),
    path("releases/", public.release_calendar, name="releases"),
    path("releases.atom", public_cache(require_safe(ReleasesFeed())), name="releases-feed"),
    path("subscribe/reports/<year:year>/", subscriptions.subscribe, name="subscribe-year"),
    path("subscribe/areas/<slug:area>/", subscriptions.subscribe, name="subscribe-area"),
    path("subscribe/check-your-email/", subscriptions.check_email, name="subscribe-sent"),
    path("subscriptions/confirm/<str:token>/", subscriptions.confirm, name="subscription-confirm"),
    path("subscriptions/unsubscribe/<str:token>/", subscriptions.unsubscribe, name="unsubscribe"),
    path("reports/<year:year>/", public.national_summary, name="national"),
    path("areas/", public.area_list, name="areas"),
    path("areas/<slug:area>/", public.area_detail, name="area"),
    # The footer's pages about the service.
    *(path(f"{name}/", about.page, {"name": name}, name=name) for name in about.PAGES),
]

manage_patterns = [
    path("", manage.dashboard, name="dashboard"),
    path(f"{REPORT}/start/", manage.start_report, name="start"),
    path(f"{REPORT}/", manage.overview, name="overview"),
    path(
        f"{REPORT}/introduction/",
        manage.edit_text,
        {"section": "foreword"},
        name="introduction",
    ),
    path(f"{REPORT}/local-page/", manage.edit_text, {"section": "local"}, name="local-page"),
    path(f"{REPORT}/signatories/", manage.edit_signatories, name="signatories"),
    path(f"{REPORT}/tables/<slug:table>/", manage.edit_table, name="table"),
    path(f"{REPORT}/check/", manage.check_answers, name="check"),
    path(f"{REPORT}/check/<str:cell>/<slug:rule>/", manage.explain_change, name="explain"),
    path(f"{REPORT}/submitted/", manage.submitted, name="submitted"),
    path(f"{REPORT}/history/", manage.history, name="history"),
    path(f"{REPORT}/review/", review.review, name="review"),
    path(f"{REPORT}/actions/<slug:action>/", review.act, name="act"),
    path("tracker/<year:year>/", review.tracker, name="tracker"),
    path("flagged-figures/<year:year>/", review.flagged_figures, name="flagged"),
    path("collection/<year:year>/", collection.collection, name="collection"),
    path(
        "collection/<year:year>/extensions/",
        collection.grant_extension,
        name="grant-extension",
    ),
    path(
        "collection/<year:year>/extensions/<int:id>/withdraw/",
        collection.withdraw_extension,
        name="withdraw-extension",
    ),
    path("releases/", releases.release_list, name="releases"),
    path("releases/<year:year>/", releases.release, name="release"),
    path(
        "releases/<year:year>/pre-release/",
        releases.pre_release_recipients,
        name="pre-release-recipients",
    ),
    path(
        "releases/<year:year>/pre-release/<int:id>/withdraw/",
        releases.withdraw_recipient,
        name="withdraw-recipient",
    ),
    path("releases/<year:year>/<slug:change>/", releases.release_change, name="release-change"),
    path("pre-release/<year:year>/", releases.pre_release_index, name="pre-release"),
    path(
        "pre-release/<year:year>/national/",
        releases.pre_release_national,
        name="pre-release-national",
    ),
    path(
        "pre-release/<year:year>/<slug:area>/",
        releases.pre_release_report,
        name="pre-release-report",
    ),
    path("standard-text/", standard_texts.year_list, name="standard-texts"),
    path("standard-text/<year:year>/", standard_texts.edit, name="standard-text"),
    path("accounts/", account_management.account_list, name="accounts"),
    path("accounts/invite/", account_management.invite, name="invite"),
    path("accounts/<int:account>/", account_management.account_detail, name="account"),
    path("accounts/<int:account>/areas/", account_management.change_areas, name="account-areas"),
    *(
        path(
            f"accounts/<int:account>/{action}/",
            account_management.act,
            {"action": action},
            name=f"account-{action}",
        )
        for action in account_management.ACTIONS
    ),
]

account_patterns = [
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            authentication_form=SignInForm, redirect_authenticated_user=True
        ),
        name="sign-in",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(), name="sign-out"),
    path("invitation/<str:token>/", accounts.accept_invitation, name="invitation"),
    path(
        "signed-out/",
        TemplateView.as_view(template_name="registration/signed_out.html"),
        name="signed-out",
    ),
    path(
        "password-reset/",
        accounts.PasswordResetView.as_view(
            success_url=reverse_lazy("accounts:password-reset-sent"),
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password-reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password-reset-sent",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            success_url=reverse_lazy("accounts:password-reset-complete")
        ),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
]
