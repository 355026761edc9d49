import json
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from survey.models import Round
from survey.services.sheets import (
    REJECTED,
    SKIPPED,
    SKIPPED_MESSAGE,
    STATUS_LABELS,
    expand_upload,
    sheets_import,
)

SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods", ".zip"}


class Command(BaseCommand):
    help = (
        "返送された回答シートを取り込みます（提出済みの新しい版になります）。PATH は回答シート、zip、"
        "またはフォルダ。取込不可のファイルが1件でもあれば終了コードは1です。"
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--round", type=int, help="調査回のID（省略時はシートに記録された調査回、なければ回答受付中の調査回）")
        parser.add_argument("--dry-run", action="store_true", help="確認だけ行い、何も保存しない")
        parser.add_argument("--json", action="store_true", dest="as_json", help="1ファイル1行の JSON で結果を出力する")

    def handle(self, *args, paths, round=None, dry_run=False, as_json=False, **options):
        rnd = None
        if round is not None:
            rnd = Round.objects.select_related("survey").filter(pk=round).first()
            if rnd is None:
                raise CommandError(f"調査回 {round} がありません。")
        rejected = 0
        with tempfile.TemporaryDirectory(prefix="import-answer-sheets-") as expanded:
            outcomes = sheets_import(files=self._files(paths, Path(expanded)), round=rnd, fixed_round=rnd is not None,
                                     acting_user=None, dry_run=dry_run, workdir=Path(expanded))
            for _key, outcome in outcomes:
                rejected += outcome.status == REJECTED
                self._print(outcome, as_json=as_json)
        if rejected:
            raise SystemExit(1)

    def _files(self, paths, expanded: Path):
        """(key, name, file) of every workbook under the paths; zips are expanded to `expanded`
        entry by entry, with bounds."""
        for path in self._walk(paths):
            for name, data in expand_upload(path.name, path, expanded):
                shown = str(path) if name == path.name else f"{path}/{name}"
                yield shown, shown, data

    def _walk(self, paths):
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            elif path.is_file():
                yield path
            else:
                raise CommandError(f"ファイルがありません: {path}")

    def _print(self, outcome, *, as_json):
        if as_json:
            self.stdout.write(json.dumps(outcome.as_dict(), ensure_ascii=False))
            return
        version = f" 版{outcome.version}" if outcome.version else ""
        self.stdout.write(f"{STATUS_LABELS[outcome.status]}\t{outcome.file}\t{outcome.organization or '-'}{version}")
        if outcome.status == SKIPPED:
            self.stdout.write(f"  {SKIPPED_MESSAGE}")
        for label, issues in (("エラー", outcome.errors), ("警告", outcome.warnings)):
            for issue in issues:  # the message names its item or field
                where = f" {issue['cell']}" if issue.get("cell") else ""
                self.stdout.write(f"  {label}{where}: {issue['message']}")
