"""`stocky cloud ...`: run, migrate and administer the cloud."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from stocky.cloud.config import Settings
from stocky.cloud.embedded import Services, ServiceUnreachableError, running_services
from stocky.cloud.observability.logs import configure_logging
from stocky.console import console, fail

cloud_app = typer.Typer(help="Run and administer the Stocky cloud.", no_args_is_help=True)

LogFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--log-format",
        help="json or text (STOCKY_LOG_FORMAT; default: json in production, text in dev).",
    ),
]
LogLevelOpt = Annotated[
    str | None,
    typer.Option("--log-level", help="debug, info, warning or error (STOCKY_LOG_LEVEL)."),
]

DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where embedded PostgreSQL, Redis and keys live."),
]


def load_settings(data_dir: Path | None = None, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "settings"
        fail(f"invalid setting {field}: {first['msg']}")


@contextmanager
def services_or_exit(settings: Settings) -> Iterator[Services]:
    try:
        with running_services(settings) as services:
            yield services
    except ServiceUnreachableError as exc:
        fail(str(exc))


def migrate_schema(settings: Settings, services: Services) -> str:
    from stocky.cloud.db import create_owner_engine
    from stocky.cloud.migrate import upgrade

    engine = create_owner_engine(services.database_url)
    try:
        before = _current_revision(engine)
        status = upgrade(
            engine,
            app_role=settings.app_db_role,
            app_password=settings.app_db_password.get_secret_value(),
        )
    finally:
        engine.dispose()
    if before == status.head:
        return f"schema already at {status.head}: nothing to do"
    return f"schema migrated from {before or 'empty'} to {status.head}"


def _current_revision(engine: object) -> str | None:
    from stocky.cloud.migrate import schema_status

    return schema_status(engine).current  # type: ignore[arg-type]


@cloud_app.command()
def migrate(data_dir: DataDirOpt = None) -> None:
    """Bring the database schema to the latest version (a no-op when it is there)."""
    settings = load_settings(data_dir)
    with services_or_exit(settings) as services:
        console.print(migrate_schema(settings, services))


@cloud_app.command()
def serve(
    data_dir: DataDirOpt = None,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    migrate: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Migrate the schema at start.")
    ] = True,
    with_worker: Annotated[
        bool,
        typer.Option(
            "--with-worker/--no-worker",
            help="Also run the jobs in this process (small setups; else `stocky cloud worker`).",
        ),
    ] = False,
    certfile: Annotated[
        Path | None,
        typer.Option("--certfile", help="PEM certificate (chain): serve HTTPS and WSS."),
    ] = None,
    keyfile: Annotated[
        Path | None, typer.Option("--keyfile", help="PEM private key of --certfile.")
    ] = None,
    ssl_ca_certs: Annotated[
        Path | None,
        typer.Option("--ssl-ca-certs", help="CA bundle to verify client certificates with."),
    ] = None,
    log_format: LogFormatOpt = None,
    log_level: LogLevelOpt = None,
) -> None:
    """Run the cloud API (embedded PostgreSQL and Redis unless their URLs are set)."""
    import uvicorn

    from stocky.cloud.admin.mount import mount_admin
    from stocky.cloud.app import create_app

    settings = load_settings(
        data_dir,
        host=host,
        port=port,
        tls_certfile=certfile,
        tls_keyfile=keyfile,
        tls_ca_certs=ssl_ca_certs,
        log_format=log_format,
        log_level=log_level,
    )
    configure_logging(settings.effective_log_format, settings.log_level)
    _check_tls_files(settings)
    with services_or_exit(settings) as services:
        if migrate:
            console.print(migrate_schema(settings, services))
        else:
            _require_current_schema(services)
        embedded = ", ".join(services.embedded) or "none"
        console.print(
            f"Stocky cloud on [bold]{settings.base_url}[/] (embedded services: {embedded})"
        )
        console.print(f"Web admin: [bold]{settings.base_url}/admin/[/]")
        if with_worker:
            console.print(f"Jobs: run here ({settings.worker_concurrency} at a time)")
        else:
            console.print("Jobs: run them with `stocky cloud worker` (or serve --with-worker)")
        app = create_app(settings, services, with_worker=with_worker)
        mount_admin(app, settings)
        # uvicorn re-raises the SIGTERM it caught once it has shut down; with the default
        # handler that would end the process before the embedded PostgreSQL is stopped.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        proxies = settings.trusted_proxy_list
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            # Our logging setup (configure_logging) and our access line per request.
            log_config=None,
            access_log=False,
            # uvicorn's default believes X-Forwarded-For from 127.0.0.1, which lets anything
            # on this host (or a proxy that passes the header through) pick its own address,
            # and with it its rate-limit bucket.
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
            ssl_certfile=_optional_path(settings.tls_certfile),
            ssl_keyfile=_optional_path(settings.tls_keyfile),
            ssl_ca_certs=_optional_path(settings.tls_ca_certs),
        )


def _optional_path(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _check_tls_files(settings: Settings) -> None:
    """Load the certificate and key once before serving: a missing or bad PEM is a line
    naming the option, not a traceback from inside the server."""
    import ssl

    if settings.tls_certfile is None:
        return
    files = {
        "--certfile": settings.tls_certfile,
        "--keyfile": settings.tls_keyfile,
        "--ssl-ca-certs": settings.tls_ca_certs,
    }
    for option, path in files.items():
        if path is not None and not path.is_file():
            fail(f"{option}: {path} is not a file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(settings.tls_certfile, settings.tls_keyfile)
        if settings.tls_ca_certs is not None:
            context.load_verify_locations(settings.tls_ca_certs)
    except (ssl.SSLError, OSError) as exc:
        fail(f"--certfile/--keyfile: cannot load the certificate and key: {exc}")


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _require_current_schema(services: Services) -> None:
    from stocky.cloud.db import create_owner_engine
    from stocky.cloud.migrate import schema_status

    engine = create_owner_engine(services.database_url)
    status = schema_status(engine)
    engine.dispose()
    if not status.up_to_date:
        fail(
            f"the database schema is at {status.current or 'empty'}, this version needs "
            f"{status.head}: run `stocky cloud migrate` first"
        )


@cloud_app.command()
def worker(
    data_dir: DataDirOpt = None,
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Jobs run at the same time (STOCKY_WORKER_CONCURRENCY)."),
    ] = None,
) -> None:
    """Run the cloud's jobs (transfers, presence, maintenance) until SIGTERM or Ctrl-C.

    A stop waits for the running jobs (STOCKY_WORKER_SHUTDOWN_TIMEOUT_S); the jobs of a
    worker killed outright are retried by another one once its heartbeat is stale.
    Run as many as you like against one database.
    """
    from stocky.cloud.app import create_app
    from stocky.cloud.jobs.runner import run_worker

    settings = load_settings(data_dir, worker_concurrency=concurrency)
    configure_logging(settings.effective_log_format, settings.log_level)
    with services_or_exit(settings) as services:
        _require_current_schema(services)
        app = create_app(settings, services)
        console.print(
            f"Stocky job worker: {settings.worker_concurrency} at a time (SIGTERM stops it)"
        )

        async def main() -> None:
            async with app.router.lifespan_context(app):
                await run_worker(app, settings, install_signal_handlers=True)

        asyncio.run(main())
        console.print("worker stopped")


@cloud_app.command("create-tenant")
def create_tenant_command(
    name: Annotated[str, typer.Option(help="The business's name.")],
    owner_email: Annotated[str, typer.Option(help="The owner's email (their login).")],
    owner_password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8."),
    ],
    currency: Annotated[str, typer.Option(help="ISO 4217 code.")] = "COP",
    locale: Annotated[str, typer.Option(help="Locale for amounts and dates.")] = "es-CO",
    data_dir: DataDirOpt = None,
) -> None:
    """Create a tenant (a business) and its owner user."""
    from stocky.cloud.tenants.schemas import TenantSignup

    try:
        signup = TenantSignup(
            tenant_name=name,
            email=owner_email,
            password=owner_password,
            currency=currency,
            locale=locale,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}")
    settings = load_settings(data_dir)
    with services_or_exit(settings) as services:
        migrate_schema(settings, services)
        created = asyncio.run(_create_tenant(settings, services, signup))
    console.print(f"created tenant [bold]{created[0]}[/] ({created[1]}), owner {signup.email}")


async def _create_tenant(settings: Settings, services: Services, signup: object) -> tuple[str, str]:
    from stocky.cloud.db import create_app_engine, make_sessionmaker
    from stocky.cloud.tenants.schemas import TenantSignup
    from stocky.cloud.tenants.service import create_tenant

    assert isinstance(signup, TenantSignup)
    engine = create_app_engine(services.app_database_url, settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            created = await create_tenant(
                session,
                name=signup.tenant_name,
                owner_email=signup.email,
                owner_password=signup.password,
                currency=signup.currency,
                locale=signup.locale,
            )
            return created.tenant.name, str(created.tenant.id)
    finally:
        await engine.dispose()


@cloud_app.command("rotate-keys")
def rotate_keys(
    data_dir: DataDirOpt = None,
    retire: Annotated[
        bool,
        typer.Option(
            "--retire/--keep",
            help="Also delete keys superseded longer ago than an access token lives.",
        ),
    ] = False,
) -> None:
    """Start signing tokens with a new key; older keys keep verifying until tokens expire.

    Running servers pick the new key up on their next token, cajas with their next JWKS
    refresh. Run it again later with --retire to drop keys no live token needs.
    """
    import time
    from datetime import UTC, datetime

    from rich.table import Table

    from stocky.cloud.auth.keys import key_states, rotate
    from stocky.cloud.auth.keys import retire as retire_keys

    settings = load_settings(data_dir)
    if settings.secret_key is not None:
        fail("the signing key comes from STOCKY_SECRET_KEY: rotate it there, not in the data dir")
    keys_dir = settings.data_dir / "keys"
    new = rotate(keys_dir)
    console.print(f"new signing key [bold]{new.kid}[/]")
    lifetime_s = settings.access_token_minutes * 60.0
    if retire:
        for key in retire_keys(keys_dir, token_lifetime_s=lifetime_s, now=time.time()):
            console.print(f"retired key {key.kid}")

    def when(ts: float) -> str:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    table = Table("key id", "created", "state")
    for state in key_states(keys_dir):
        if state.superseded_at is None:
            status = "signs new tokens"
        else:
            status = f"verifies until {when(state.superseded_at + lifetime_s)}"
        table.add_row(state.key.kid, when(state.key.created), status)
    console.print(table)


from stocky.cloud.installers.cli import publish_installer  # noqa: E402

cloud_app.command("publish-installer")(publish_installer)
