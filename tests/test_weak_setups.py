"""Production refuses weak set-ups at start: the sample SECRET_KEY from deploy/env.example, a
placeholder, a key of few distinct characters, and a bcrypt cost below 10."""

from __future__ import annotations

import secrets

import pytest

from config import SettingsError, load_settings
from tests.dbutil import ROOT
from tests.test_app import app_env, run_command

GOOD_KEY = secrets.token_urlsafe(48)


def sample_key() -> str:
    """The SECRET_KEY line of deploy/env.example, as an operator would copy it."""
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line.startswith("SECRET_KEY="):
            return line.split("=", 1)[1].strip()
    raise AssertionError("deploy/env.example has no SECRET_KEY line")


def production(**env: str) -> dict[str, str]:
    # production also needs APP_URL and a mail server (tests/test_mail_settings.py)
    mail = {"APP_URL": "https://app.example.com", "MAIL_URL": "smtp://mail.example.com:587?starttls=true"}
    return {"APP_ENV": "production", "SECRET_KEY": GOOD_KEY, **mail, **env}


def refusal(env: dict[str, str]) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    return str(caught.value)


def test_a_random_key_is_accepted_in_production():
    settings = load_settings(production())
    assert settings.production and settings.secret_keys == (GOOD_KEY,)


def test_the_sample_key_is_refused_in_production():
    assert "is a sample or placeholder key" in refusal(production(SECRET_KEY=sample_key()))


@pytest.mark.parametrize("word", ["change-me", "CHANGEME", "replace-me"])
def test_a_placeholder_key_is_refused_in_production(word):
    # long and varied enough that only the placeholder word can be what is wrong with it
    key = secrets.token_urlsafe(24) + word + secrets.token_urlsafe(24)
    assert "is a sample or placeholder key" in refusal(production(SECRET_KEY=key))


@pytest.mark.parametrize("key", ["a" * 40, "ab" * 20, "0123456789" * 4, "abcdefghijk" * 4])
def test_a_key_of_few_distinct_characters_is_refused_in_production(key):
    message = refusal(production(SECRET_KEY=key))
    assert "distinct characters" in message
    assert "secrets.token_urlsafe(48)" in message  # the message says how to make a good one


def test_every_listed_key_is_checked():
    """A weak key kept for rotation would still verify forged cookies."""
    message = refusal(production(SECRET_KEY=f"{GOOD_KEY},{'ab' * 20}"))
    assert "key 2 has fewer than" in message and "key 1" not in message


def test_a_cheap_bcrypt_cost_is_refused_in_production_only():
    assert "BCRYPT_ROUNDS=9 is too cheap for production" in refusal(production(BCRYPT_ROUNDS="9"))
    assert load_settings(production(BCRYPT_ROUNDS="10")).bcrypt_rounds == 10
    development = load_settings({"APP_ENV": "development", "SECRET_KEY": GOOD_KEY, "BCRYPT_ROUNDS": "9"})
    assert development.bcrypt_rounds == 9


def test_the_app_will_not_start_in_production_with_the_sample_key(tmp_path):
    env = app_env(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", APP_ENV="production", SECRET_KEY=sample_key())
    result = run_command(env)
    assert result.returncode == 2
    assert "SECRET_KEY: key 1 is a sample or placeholder key" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_deploy_files_say_how_to_generate_a_key():
    command = 'python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
    assert command in (ROOT / "deploy" / "env.example").read_text()
    assert command in (ROOT / "docs" / "deploying.md").read_text()
