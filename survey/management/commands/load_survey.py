from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from survey import engine
from survey.services.rounds import DefinitionChanged, default_definition_path, survey_version_load


class Command(BaseCommand):
    help = "調査定義ファイル（TOML）をデータベースに登録します。既定は同梱の最新版です。"

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="定義ファイル（省略時は survey/definitions の最新版）")

    def handle(self, *args, path=None, **options):
        file = Path(path) if path else default_definition_path()
        if not file.exists():
            raise CommandError(f"ファイルがありません: {file}")
        try:
            version, created = survey_version_load(file)
        except (engine.DefinitionError, DefinitionChanged) as exc:
            raise CommandError(str(exc)) from exc
        verb = "登録しました" if created else "登録済みです（変更なし）"
        self.stdout.write(f"{version.title} {version.version}: {verb}")
