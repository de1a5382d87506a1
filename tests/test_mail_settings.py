"""The mail settings: APP_URL, MAIL_URL, MAIL_FROM, EMAIL_VERIFICATION and
PASSWORD_RESET_TTL_SECONDS, their defaults, every bad value named at start, and production's
refusals: no APP_URL, and MAIL_URL=console: (which only prints mail)."""

import secrets

import pytest

from config import SettingsError, load_settings
from core.mail import ConsoleTransport, SmtpTransport, transport_for
from tests.test_app import app_env, run_command

KEY = secrets.token_urlsafe(48)


def refusal(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    return str(caught.value)


def test_the_defaults_suit_development():
    settings = load_settings({"PORT": "9000"})
    assert settings.base_url == "http://127.0.0.1:9000"  # no APP_URL: this machine, this port
    assert settings.mail_url == "console:" and isinstance(transport_for(settings.mail_url), ConsoleTransport)
    assert settings.mail_from == "Tornado Pages <noreply@localhost>"
    assert settings.email_verification == "optional"
    assert settings.password_reset_ttl_seconds == 3600


def test_app_url_is_the_base_of_links_and_names_the_sender_s_domain():
    settings = load_settings({"APP_URL": "https://app.example.com/"})
    assert settings.base_url == "https://app.example.com"
    assert settings.mail_from == "Tornado Pages <noreply@app.example.com>"
    chosen = load_settings({"APP_URL": "https://app.example.com", "MAIL_FROM": "Ada <ada@example.org>"})
    assert chosen.mail_from == "Ada <ada@example.org>"


def test_mail_urls_name_their_transport():
    starttls = transport_for("smtp://user:p%40ss@mail.example.com:587?starttls=true")
    assert starttls == SmtpTransport(
        "mail.example.com", 587, username="user", password="p@ss", use_tls=False, start_tls=True
    )
    assert transport_for("smtps://mail.example.com") == SmtpTransport("mail.example.com", 465, use_tls=True)
    assert transport_for("smtp://127.0.0.1:1025") == SmtpTransport("127.0.0.1", 1025)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"APP_URL": "ftp://example.com"}, "APP_URL='ftp://example.com' must be an absolute http(s) URL"),
        ({"APP_URL": "example.com"}, "APP_URL='example.com' must be an absolute http(s) URL"),
        ({"MAIL_URL": "imap://x"}, "MAIL_URL='imap://x' must be console:, smtp://"),
        ({"MAIL_URL": "smtp://:25"}, "names no host"),
        ({"MAIL_URL": "smtp://host:99999"}, "has a port that is not a number from 1 to 65535"),
        ({"MAIL_URL": "smtp://host?tls=1"}, "has unknown options: tls"),
        ({"MAIL_URL": "smtp://host?starttls=maybe"}, "starttls must be true or false"),
        ({"MAIL_URL": "smtps://host?starttls=true"}, "smtps:// is TLS already"),
        ({"MAIL_URL": "console:x"}, "console: takes nothing after the colon"),
        ({"MAIL_FROM": "nobody"}, "MAIL_FROM='nobody' must be an address"),
        (
            {"EMAIL_VERIFICATION": "maybe"},
            "EMAIL_VERIFICATION='maybe' must be 'off', 'optional' or 'required'",
        ),
        ({"PASSWORD_RESET_TTL_SECONDS": "0"}, "PASSWORD_RESET_TTL_SECONDS=0 must be between 1 and 604800"),
        (
            {"PASSWORD_RESET_TTL_SECONDS": "an hour"},
            "PASSWORD_RESET_TTL_SECONDS='an hour' is not a whole number",
        ),
        ({"MAIL_POLL_SECONDS": "0"}, "MAIL_POLL_SECONDS=0 must be between"),
    ],
)
def test_a_bad_value_is_named(env, message):
    assert message in refusal(env)


def test_a_bad_mail_url_never_shows_its_password():
    message = refusal({"MAIL_URL": "smtp://user:hunter2@host:notaport"})
    assert "hunter2" not in message and "smtp://***@host:notaport" in message


def production(**env: str) -> dict[str, str]:
    return {"APP_ENV": "production", "SECRET_KEY": KEY, **env}


def test_production_needs_app_url_and_a_real_mail_server():
    message = refusal(production())
    assert "APP_URL is required when APP_ENV=production" in message
    assert "MAIL_URL=console: only prints mails: production needs an SMTP server" in message
    assert "MAIL_URL=console:" in refusal(production(APP_URL="https://app.example.com"))
    assert "APP_URL is required" in refusal(production(MAIL_URL="smtp://mail.example.com:587?starttls=true"))
    settings = load_settings(
        production(APP_URL="https://app.example.com", MAIL_URL="smtp://mail.example.com:587?starttls=true")
    )
    assert settings.production and settings.base_url == "https://app.example.com"


def test_the_app_will_not_start_in_production_without_app_url(tmp_path):
    env = app_env(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", APP_ENV="production", SECRET_KEY=KEY)
    result = run_command(env)
    assert result.returncode == 2
    assert "APP_URL is required when APP_ENV=production" in result.stderr
    assert "MAIL_URL=console:" in result.stderr and "Traceback" not in result.stderr
