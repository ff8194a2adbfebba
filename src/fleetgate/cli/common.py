"""Shared CLI helpers: Django bootstrapping for local commands, output, error exits."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import typer
from django.db import DatabaseError
from rich.console import Console
from rich.markup import escape

from fleetgate.cli.client import ApiError
from fleetgate.core.errors import DomainError

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])

SERVER_OPT = typer.Option(
    None, "--server", envvar="FLEETGATE_SERVER", help="Fleetgate URL (default http://127.0.0.1:8000)"
)
TOKEN_OPT = typer.Option(None, "--token", envvar="FLEETGATE_TOKEN", help="API token (fg_...)")


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fleetgate.settings")
    import django

    django.setup()


def handles_errors(fn: F) -> F:
    """Print problems as what went wrong plus what to do next, and exit non-zero."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ApiError as exc:
            err.print(f"[red]{escape(exc.render())}[/red]", highlight=False)
            raise typer.Exit(1) from None
        except DomainError as exc:
            err.print(f"[red]Error ({exc.code}): {escape(exc.detail)}[/red]", highlight=False)
            for issue in exc.errors:
                err.print(escape(f"  - {issue.field}: {issue.message} [{issue.rule}]"), highlight=False)
            raise typer.Exit(1) from None
        except DatabaseError as exc:
            from fleetgate.config import settings as cfg

            where = cfg.database_url.split("@")[-1] if cfg.database_url else f"{cfg.data_dir}/fleetgate.sqlite3"
            err.print(
                escape(
                    f"Database error at {where}: {exc}. Next: check FLEETGATE_DATA_DIR / "
                    "FLEETGATE_DATABASE_URL point at your installation, and run `fleetgate migrate`."
                ),
                style="red",
                highlight=False,
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    console.print_json(json.dumps(data, default=str))


@contextmanager
def cli_correlation() -> Iterator[str]:
    from fleetgate.core import correlation

    with correlation.bound(correlation.new_id()) as cid:
        yield cid
