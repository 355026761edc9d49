from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from survey.orgmaster import OrgListError, load_master, parse_code_list
from survey.services.organizations import organizations_sync


class Command(BaseCommand):
    help = (
        "総務省の全国地方公共団体コード一覧（CSV または xlsx）から団体マスタを更新します。"
        "省略時は同梱の一覧（1,788団体）を読み込みます。何度実行しても同じ結果になります。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="コード一覧のファイル（.csv / .xlsx）")
        parser.add_argument("--dry-run", action="store_true", help="変更内容を表示するだけで保存しない")

    def handle(self, *args, file=None, dry_run=False, **options):
        try:
            if file:
                path = Path(file)
                if not path.exists():
                    raise CommandError(f"ファイルがありません: {path}")
                records = parse_code_list(path.read_bytes(), path.name)
            else:
                records = load_master()
        except OrgListError as exc:
            lines = "\n".join(f"  - {e}" for e in exc.errors)
            raise CommandError(f"コード一覧に{len(exc.errors)}件の誤りがあるため、何も変更していません。\n{lines}") from exc
        diff = organizations_sync(records=records, acting_user=None, dry_run=dry_run)
        self._report(diff, dry_run)

    def _report(self, diff, dry_run):
        prefix = "（試行・保存していません）" if dry_run else ""
        self.stdout.write(
            f"{prefix}追加 {len(diff.added)} 件、名称等の変更 {len(diff.renamed)} 件、"
            f"廃止 {len(diff.retired)} 件、変更なし {diff.unchanged_count} 件"
        )
        for record in diff.added[:50]:
            self.stdout.write(f"  追加: {record.code} {record.prefecture_name}{record.name if record.kind != 'prefecture' else ''}")
        if len(diff.added) > 50:
            self.stdout.write(f"  …ほか {len(diff.added) - 50} 件")
        for old, new in diff.renamed:
            self.stdout.write(f"  変更: {new.code} {old.name}（{old.kind}） → {new.name}（{new.kind}）")
        for record in diff.retired:
            self.stdout.write(f"  廃止: {record.code} {record.prefecture_name}{record.name}")
