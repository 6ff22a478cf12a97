from __future__ import annotations

import pytest

from shared.config import SettingsError, load_settings


def test_defaults_run_the_hub_on_one_machine():
    settings = load_settings({})
    assert settings.public_url("identity") == "http://127.0.0.1:8001"
    assert [settings.port(p) for p in ("identity", "petitions", "notifications", "mock-idp")] == [
        8001,
        8002,
        8003,
        8004,
    ]
    assert settings.metrics_port("petitions") == 9102
    assert settings.database_url("petitions").startswith("sqlite:///") and settings.database_url(
        "petitions"
    ).endswith("var/petitions.db")
    assert settings.amqp_uri == "amqp://guest:guest@127.0.0.1:5672/"
    assert settings.webhook_allow_private is False
    assert settings.max_connections == 1000


def test_settings_come_from_the_environment():
    settings = load_settings(
        {
            "PETITIONS_PORT": "9000",
            "PETITIONS_PUBLIC_URL": "https://petitions.example/",
            "HUB_WEBHOOK_ALLOW_PRIVATE": "on",
            "HUB_LOG_FORMAT": "json",
        }
    )
    assert settings.port("petitions") == 9000
    assert settings.public_url("petitions") == "https://petitions.example"
    assert settings.webhook_allow_private is True and settings.log_format == "json"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PETITIONS_PORT": "eighty"}, "PETITIONS_PORT"),
        ({"HUB_WEBHOOK_ALLOW_PRIVATE": "maybe"}, "HUB_WEBHOOK_ALLOW_PRIVATE"),
        ({"HUB_LOG_FORMAT": "xml"}, "HUB_LOG_FORMAT"),
        ({"HUB_PETITION_THRESHOLDS": "100,lots"}, "HUB_PETITION_THRESHOLDS"),
        ({"HUB_WEBHOOK_RETRY_SCALE": "0"}, "HUB_WEBHOOK_RETRY_SCALE"),
        ({"PETITIONS_PROCESSES": "0"}, "PETITIONS_PROCESSES must be between 1 and 32"),
        ({"IDENTITY_PROCESSES": "two"}, "IDENTITY_PROCESSES"),
        ({"HUB_MAX_CONNECTIONS": "0"}, "HUB_MAX_CONNECTIONS must be between 1 and"),
    ],
)
def test_bad_settings_are_named_in_the_error(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env)


def test_one_process_per_service_unless_told():
    assert load_settings({}).process_count("petitions") == 1
    settings = load_settings({"PETITIONS_PROCESSES": "2", "IDENTITY_PROCESSES": "3"})
    assert (settings.process_count("petitions"), settings.process_count("identity")) == (2, 3)
    assert settings.process_count("mock-idp") == 1  # a development stand-in: always one


def test_identity_refuses_the_development_subject_secret_in_production():
    settings = load_settings({"HUB_ENV": "production", "PETITIONS_WEB_CLIENT_SECRET": "own"})
    settings.require_production_secrets("petitions")  # petitions does not use it
    with pytest.raises(SettingsError, match="HUB_SUBJECT_SECRET"):
        settings.require_production_secrets("identity")
    secret = {"HUB_ENV": "production", "HUB_SUBJECT_SECRET": "s3cret"}
    load_settings(secret).require_production_secrets("identity")


def test_services_may_reach_identity_at_an_internal_address():
    settings = load_settings({"IDENTITY_INTERNAL_URL": "http://identity.hub.svc:8001/"})
    assert settings.internal_url("identity") == "http://identity.hub.svc:8001"
    assert settings.public_url("identity") == "http://127.0.0.1:8001"
    assert load_settings({}).internal_url("identity") == "http://127.0.0.1:8001"


def test_petitions_refuses_the_development_web_client_secret_in_production():
    with pytest.raises(SettingsError, match="PETITIONS_WEB_CLIENT_SECRET"):
        load_settings({"HUB_ENV": "production"}).require_production_secrets("petitions")
