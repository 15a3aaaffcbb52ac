"""Security headers, session expiry, upload limits and formula-safe downloads."""

import base64
import datetime
import hashlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from reports.exports import safe_cell
from tests.conftest import signed_in
from tests.factories import make_user, make_year

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/reports/2010-11/kent/", "/account/sign-in/", "/data/"])
def test_public_pages_send_the_security_headers(client, demo, url):
    response = client.get(url, secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "script-src 'self' 'sha256-" in policy
    assert "nonce" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_one_inline_script_is_allowed_by_its_hash_and_pages_stay_identical(client, demo):
    first, again = client.get("/"), client.get("/")
    allowed = first["Content-Security-Policy"].split("'sha256-")[1].split("'")[0]
    scripts = re.findall(r"<script>(.*?)</script>", first.content.decode(), re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert digest == allowed
    assert first.content == again.content


def test_the_admin_has_its_own_policy(client, db):
    policy = client.get("/admin/login/")["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_cookies_are_secure_and_http_only(client, db, settings):
    make_user("kim@kent.example.gov.uk", areas=("kent",))
    client.get("/account/sign-in/", secure=True)
    response = client.post(
        "/account/sign-in/",
        {"username": "kim@kent.example.gov.uk", "password": "correct horse battery staple"},
        secure=True,
    )
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    assert settings.CSRF_COOKIE_SECURE


def test_signed_in_sessions_expire_after_30_idle_minutes(settings, kent):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST  # each request restarts the 30 minutes
    response = kent.get("/manage/")
    assert response.cookies["sessionid"]["max-age"] == 30 * 60


def test_expired_session_must_sign_in_again(kent_coordinator):
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = signed_in(kent_coordinator)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get("/manage/")["Location"].startswith("/account/sign-in/")


def test_formula_like_text_is_defused_in_downloads():
    assert safe_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert safe_cell("+1") == "'+1" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("kent") == "kent" and safe_cell("1185") == "1185" and safe_cell(3) == 3


@pytest.fixture
def staff(db):
    from django.contrib.auth.models import Permission

    user = make_user("nat@justice.example.gov.uk", national=True, is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_figure", "import_figures"])
    )
    return signed_in(user)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("figures.txt", b"year,area\n", "Choose a .csv or .xlsx file."),
        ("figures.xlsx", b"year,area\n", "is not an Excel workbook"),
        ("figures.csv", b"\xff\xfe\x00y\x00e\x00a\x00r" * 10, "not UTF-8 text"),
    ],
)
def test_import_files_are_type_checked(staff, name, content, message):
    make_year(2010)
    response = staff.post(
        "/admin/reports/figure/import/",
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile(name, content)},
    )
    assert message in response.content.decode()


def test_import_files_are_size_limited(staff, settings, tmp_path):
    settings.IMPORT_MAX_BYTES = 1024
    big = b"year,area,table,row,column,value\n" + b"2010-11,kent,rso_breaches,rsos,number,1\n" * 100
    response = staff.post(
        "/admin/reports/figure/import/",
        {"resource": "0", "format": "0", "import_file": SimpleUploadedFile("f.csv", big)},
    )
    assert "the most that can be imported at once is 0 MB" in response.content.decode()
    path = tmp_path / "f.csv"
    path.write_bytes(big)
    with pytest.raises(CommandError, match="Split it into smaller files"):
        call_command("import_figures", str(path), verbosity=0)
