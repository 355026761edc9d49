"""Backup and restore of the portal's data: the PostgreSQL database and the private files.

    scripts/backup DEST              # writes DEST/<timestamp>/ and prints its path
    scripts/restore BACKUP [--force] # checks every hash, then restores database and files

A backup is a folder:
    db.dump         pg_dump --format=custom of DATABASE_URL (every table, sequence, trigger)
    files/...       every file of the private storage (PRIVATE_STORAGE_ROOT), same relative paths
    MANIFEST.json   when and what: the database and every file with its size and SHA-256

The database is dumped first and the files copied after it, so every file a dumped row names
is in the backup (files are written before their row commits and deleted only after). Restore
refuses a backup whose manifest does not match its contents, and a database or file store that
is not empty unless --force (then the database is replaced and the files overwritten).
Run with the portal's environment (deploy/portal.env): DATABASE_URL, PRIVATE_STORAGE_ROOT.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORMAT = 1
CHUNK = 1024 * 1024


class BackupError(Exception):
    pass


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _settings():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError("DATABASE_URL must name the PostgreSQL database (the embedded SQLite is one file: copy it)")
    if "FileSystemStorage" not in settings.STORAGES["private"]["BACKEND"]:
        raise BackupError("the private storage is not a disk: back its bucket up with the store's own versioning")
    return settings


def _pg_env(settings) -> dict:
    db = settings.DATABASES["default"]
    env = {**os.environ, "PGDATABASE": db["NAME"], "PGHOST": db.get("HOST") or "", "PGPORT": str(db.get("PORT") or ""),
           "PGUSER": db.get("USER") or ""}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return {k: v for k, v in env.items() if v != ""}


def _tool(name: str) -> str:
    """pg_dump/pg_restore: PG_BIN, else PostgreSQL 15's (the server's version), else PATH."""
    for folder in (os.environ.get("PG_BIN"), "/usr/lib/postgresql/15/bin"):
        if folder and (Path(folder) / name).exists():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found (install postgresql-client)")
    return found


def _files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".part"))


def backup(dest: Path) -> Path:
    """Write a new backup folder under `dest`; returns it."""
    settings = _settings()
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    out = dest / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, mode=0o700)
    dump = out / "db.dump"
    subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}"],
                   env=_pg_env(settings), check=True)
    entries = []
    for path in _files(root):
        relative = path.relative_to(root).as_posix()
        target = out / "files" / relative
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(path, target)
        entries.append({"path": relative, "size": target.stat().st_size, "sha256": sha256(target)})
    manifest = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": {"file": "db.dump", "name": settings.DATABASES["default"]["NAME"],
                     "size": dump.stat().st_size, "sha256": sha256(dump)},
        "files": entries,
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


def verify(backup_dir: Path) -> dict:
    """The manifest, after checking the dump and every file against it (BackupError otherwise)."""
    manifest_path = backup_dir / "MANIFEST.json"
    if not manifest_path.is_file():
        raise BackupError(f"{manifest_path} is missing")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    problems = []
    items = [(manifest["database"]["file"], manifest["database"]["sha256"])]
    items += [(str(Path("files") / e["path"]), e["sha256"]) for e in manifest["files"]]
    for relative, expected in items:
        path = backup_dir / relative
        if not path.is_file():
            problems.append(f"missing: {relative}")
        elif sha256(path) != expected:
            problems.append(f"changed: {relative}")
    listed = {str(Path("files") / e["path"]) for e in manifest["files"]}
    extra = [p.relative_to(backup_dir).as_posix() for p in _files(backup_dir / "files")
             if p.relative_to(backup_dir).as_posix() not in listed]
    problems += [f"not in the manifest: {p}" for p in extra]
    if problems:
        raise BackupError("the backup does not match its manifest:\n  " + "\n  ".join(problems))
    return manifest


def _database_is_empty(settings) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        (tables,) = cursor.fetchone()
    connection.close()
    return tables == 0


def restore(backup_dir: Path, *, force: bool) -> dict:
    """Restore the database and the files of `backup_dir`; returns what was restored."""
    manifest = verify(backup_dir)
    settings = _settings()
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    if not force and not _database_is_empty(settings):
        raise BackupError("the database is not empty: restore into a new database, or pass --force to replace it")
    if not force and _files(root):
        raise BackupError(f"{root} holds files: restore into an empty folder, or pass --force to overwrite")
    subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                    "--exit-on-error", "--single-transaction", f"--dbname={settings.DATABASES['default']['NAME']}",
                    str(backup_dir / manifest["database"]["file"])], env=_pg_env(settings), check=True)
    for entry in manifest["files"]:
        target = root / entry["path"]
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copy2(backup_dir / "files" / entry["path"], target)
        os.chmod(target, 0o600)
        if sha256(target) != entry["sha256"]:
            raise BackupError(f"{target} differs from the backup after copying")
    return {"database": manifest["database"]["name"], "files": len(manifest["files"])}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Backup or restore the portal's database and private files.")
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("backup")
    make.add_argument("dest", type=Path)
    back = sub.add_parser("restore")
    back.add_argument("backup", type=Path)
    back.add_argument("--force", action="store_true", help="replace a database and files that are not empty")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            out = backup(args.dest)
            manifest = json.loads((out / "MANIFEST.json").read_text(encoding="utf-8"))
            print(f"backup: {out} (database {manifest['database']['size']} bytes, {len(manifest['files'])} files)")
            print(out)
        else:
            done = restore(args.backup, force=args.force)
            print(f"restore: database {done['database']} and {done['files']} files restored from {args.backup}")
    except (BackupError, subprocess.CalledProcessError) as exc:
        print(f"{args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
