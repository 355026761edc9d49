"""The throwaway database each benchmark creates beside DATABASE_URL's (shared by the benches)."""
import sys
from urllib.parse import urlsplit, urlunsplit


def bench_database(url: str, suffix: str) -> tuple[str, str]:
    """(admin URL, bench URL): the bench database `<name><suffix>` sits next to DATABASE_URL's."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL")
    return url, urlunsplit(parts._replace(path="/" + parts.path.lstrip("/") + suffix))


def recreate(admin_url: str, bench_url: str, *, drop_only: bool = False) -> None:
    """Drop the bench database and, unless drop_only, create it empty."""
    import psycopg

    name = urlsplit(bench_url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if not drop_only:
            conn.execute(f'CREATE DATABASE "{name}"')
