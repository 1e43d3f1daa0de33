"""Strict parsing of the environment for settings.

A bad value stops start-up with one line naming the variable and what is expected:
``ConfigurationError`` is a ``SystemExit``, so manage.py, gunicorn and celery print the
message and exit without a traceback.
"""

import os
from urllib.parse import urlsplit

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


class ConfigurationError(SystemExit):
    def __init__(self, name: str, problem: str) -> None:
        self.variable = name
        super().__init__(f"Configuration error: {name} {problem}")


def get_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None else value.strip()


def get_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ConfigurationError(name, f"must be true or false, got {raw!r}")


def get_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(name, f"must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(name, f"must be at least {minimum}, got {value}")
    return value


def get_choice(name: str, default: str, *, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigurationError(name, f"must be one of {', '.join(choices)}, got {raw!r}")
    return value


def get_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def get_url(name: str, default: str | None, *, schemes: tuple[str, ...]) -> str | None:
    value = get_str(name, default)
    if value is None or value == "":
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        expected = ", ".join(f"{s}://" for s in schemes)
        raise ConfigurationError(name, f"must start with one of {expected} (got {parts.scheme or 'no scheme'!r})")
    if parts.scheme not in ("sqlite",) and not parts.hostname:
        raise ConfigurationError(name, "has no host name")
    return value


def get_database(name: str, default: str) -> dict:
    import dj_database_url

    url = get_url(name, default, schemes=("postgres", "postgresql", "sqlite"))
    try:
        config = dj_database_url.parse(url)
    except Exception as exc:  # dj_database_url raises plain ValueError with a long text
        raise ConfigurationError(name, f"cannot be parsed ({exc.__class__.__name__})") from None
    if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
        raise ConfigurationError(name, "names no database (postgres://user:password@host:port/DBNAME)")
    return config
