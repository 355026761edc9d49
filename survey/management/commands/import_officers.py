"""manage.py import_officers FILE [--dry-run]: the officers' CSV import from the command line."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from survey.services.accounts import officers_import_csv


class Command(BaseCommand):
    help = "団体担当者をCSV（団体コード, 氏名, メールアドレス）から一括登録し、招待メールを送ります。"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSVファイル（UTF-8 または Shift_JIS）")
        parser.add_argument("--dry-run", action="store_true", help="検査と結果の表示のみ行い、登録しない")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"ファイルを読めません: {file}: {exc.strerror}") from None
        result = officers_import_csv(data=data, acting_user=None, dry_run=dry_run)
        for row in result.rows:
            if row.status == "skip":
                self.stdout.write(f"{row.line}行目: スキップ（登録済み） {row.email}")
        if result.errors:
            for issue in result.errors:
                self.stderr.write(str(issue))
            raise CommandError(f"エラーが{len(result.errors)}件あるため、1件も登録していません。")
        if dry_run:
            self.stdout.write(f"確認のみ: 作成予定 {len(result.to_create)}件、スキップ {len(result.skipped)}件")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"{len(result.created)}件を作成し、招待メールを送信しました。スキップ {len(result.skipped)}件"))
