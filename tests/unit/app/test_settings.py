"""Configuration is documented and safe by default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import ConfigurationError, Settings

ROOT = Path(__file__).resolve().parents[3]
SETTINGS_SOURCE = (ROOT / "app" / "settings.py").read_text(encoding="utf-8")


def test_every_environment_variable_is_documented_in_the_readme() -> None:
    variables = set(re.findall(r'env\.get\("([A-Z_]+)"', SETTINGS_SOURCE))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert variables >= {"DATABASE_URL", "SECRET_KEY", "SEARCH_INDEX_DIR", "SMTP_URL", "BASE_URL"}
    undocumented = sorted(v for v in variables if f"`{v}`" not in readme)
    assert undocumented == []


def test_production_refuses_the_default_secret_key() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        Settings.from_env({"ROUNDTABLE_ENV": "production"})
    settings = Settings.from_env({"ROUNDTABLE_ENV": "production", "SECRET_KEY": "s3cret-enough"})
    assert settings.secret_key == "s3cret-enough"


def test_defaults_use_sqlite_under_var() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///var/roundtable.db"
    assert settings.search_index_dir == Path("var/search-index")
    assert not settings.secure_cookies


def test_https_base_url_makes_cookies_secure() -> None:
    assert Settings.from_env({"BASE_URL": "https://roundtable.example/"}).secure_cookies


def test_oidc_providers_are_parsed_and_bad_json_is_a_clear_error() -> None:
    raw = (
        '[{"name": "isoc", "issuer": "https://id.example/",'
        ' "client_id": "c", "client_secret": "s"}]'
    )
    (provider,) = Settings.from_env({"OIDC_PROVIDERS": raw}).oidc_providers
    assert (provider.issuer, provider.display_name) == ("https://id.example", "isoc")
    with pytest.raises(ConfigurationError, match="OIDC_PROVIDERS"):
        Settings.from_env({"OIDC_PROVIDERS": "{not json"})


def test_base_url_defaults_to_where_the_server_listens() -> None:
    assert Settings.from_env({}).base_url == "http://127.0.0.1:8000"
    settings = Settings.from_env({"HOST": "192.0.2.7", "PORT": "8080"})
    assert (settings.host, settings.port) == ("192.0.2.7", 8080)
    assert settings.base_url == "http://192.0.2.7:8080"
    assert Settings.from_env({"HOST": "::1", "PORT": "9000"}).base_url == "http://[::1]:9000"
    # `make` exports HOST and PORT empty when nobody set them: empty is the default.
    assert Settings.from_env({"HOST": "", "PORT": ""}).base_url == "http://127.0.0.1:8000"
    explicit = {"PORT": "8080", "BASE_URL": "https://roundtable.example/"}
    assert Settings.from_env(explicit).base_url == "https://roundtable.example"


@pytest.mark.parametrize("port", ["http", "0", "65536", "-1"])
def test_a_port_that_is_not_a_tcp_port_is_a_clear_error(port: str) -> None:
    with pytest.raises(
        ConfigurationError, match=f"PORT must be a number from 1 to 65535, not '{port}'"
    ):
        Settings.from_env({"PORT": port})
