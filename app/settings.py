"""All configuration, read once from the environment (12-factor). Documented in README.md;
a test fails when a setting here is missing from it."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accounts.ratelimits import parse_rates

DEFAULT_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - refused outside development
DEFAULT_COMMENT_RATE_LIMIT = "30/minute;500/day"
# Search as you type sends a request per pause in typing: a person needs a few a minute.
DEFAULT_SEARCH_RATE_LIMIT = "120/minute;3000/day"
DEFAULT_HOST = "127.0.0.1"
# The publisher named in citations of briefs: the chapter of the demo data, the first users.
DEFAULT_ORGANISATION_NAME = "Internet Society Ukraine Chapter"
DEFAULT_PORT = 8000


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class OIDCProvider:
    name: str
    issuer: str
    client_id: str
    client_secret: str
    display_name: str


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    search_index_dir: Path
    smtp_url: str | None
    base_url: str
    environment: str
    outbox_poll_seconds: float
    mail_from: str
    oidc_providers: tuple[OIDCProvider, ...] = field(default_factory=tuple)
    # In the `limits` notation ("30/minute;500/day"); "0" turns a limit off.
    comment_rate_limit: str = DEFAULT_COMMENT_RATE_LIMIT
    search_rate_limit: str = DEFAULT_SEARCH_RATE_LIMIT
    # Addresses (or networks) of the reverse proxies whose X-Forwarded-For is believed.
    forwarded_allow_ips: tuple[str, ...] = ()
    # Where `roundtable serve` listens; BASE_URL defaults to this address.
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    # Who publishes the briefs: named in their citations and printed in the PDFs' header.
    organisation_name: str = DEFAULT_ORGANISATION_NAME

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        var = Path(env.get("ROUNDTABLE_VAR_DIR", "var"))
        # Empty counts as unset: `make` exports HOST and PORT even when nobody set them.
        host = env.get("HOST") or DEFAULT_HOST
        port = _parse_port(env.get("PORT") or str(DEFAULT_PORT))
        settings = cls(
            database_url=env.get("DATABASE_URL", f"sqlite:///{var / 'roundtable.db'}"),
            secret_key=env.get("SECRET_KEY", DEFAULT_SECRET_KEY),
            search_index_dir=Path(env.get("SEARCH_INDEX_DIR", str(var / "search-index"))),
            smtp_url=env.get("SMTP_URL") or None,
            base_url=(env.get("BASE_URL") or listen_url(host, port)).rstrip("/"),
            environment=env.get("ROUNDTABLE_ENV", "development"),
            outbox_poll_seconds=float(env.get("OUTBOX_POLL_SECONDS", "0.5")),
            mail_from=env.get("MAIL_FROM", "Roundtable <noreply@roundtable.invalid>"),
            oidc_providers=_parse_providers(env.get("OIDC_PROVIDERS", "")),
            comment_rate_limit=env.get("COMMENT_RATE_LIMIT", DEFAULT_COMMENT_RATE_LIMIT),
            search_rate_limit=env.get("SEARCH_RATE_LIMIT", DEFAULT_SEARCH_RATE_LIMIT),
            forwarded_allow_ips=_parse_list(env.get("FORWARDED_ALLOW_IPS", "")),
            host=host,
            port=port,
            organisation_name=" ".join(env.get("ORGANISATION_NAME", "").split())
            or DEFAULT_ORGANISATION_NAME,
        )
        settings.check()
        return settings

    def check(self) -> None:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET_KEY:
            raise ConfigurationError("SECRET_KEY must be set in production")
        for name in ("comment_rate_limit", "search_rate_limit"):
            try:
                parse_rates(getattr(self, name))
            except ValueError as error:
                raise ConfigurationError(f"{name.upper()}: {error}") from error


def listen_url(host: str, port: int) -> str:
    """The address of a server listening on host:port (an IPv6 address in brackets)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _parse_port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ConfigurationError(f"PORT must be a number from 1 to 65535, not {raw!r}")
    return port


def _parse_list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


def _parse_providers(raw: str) -> tuple[OIDCProvider, ...]:
    """OIDC_PROVIDERS is a JSON list of {name, issuer, client_id, client_secret, display_name}."""
    if not raw.strip():
        return ()
    try:
        items: list[dict[str, Any]] = json.loads(raw)
        return tuple(
            OIDCProvider(
                name=item["name"],
                issuer=item["issuer"].rstrip("/"),
                client_id=item["client_id"],
                client_secret=item["client_secret"],
                display_name=item.get("display_name", item["name"]),
            )
            for item in items
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigurationError(f"OIDC_PROVIDERS is not a valid JSON list: {error}") from error
