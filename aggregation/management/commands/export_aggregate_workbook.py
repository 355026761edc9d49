from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aggregation.models import Snapshot
from aggregation.services import export_file
from aggregation.source import FigureSource
from survey.access import Scope
from survey.audit import Action, audit
from survey.models import Round, RoundStatus


class Command(BaseCommand):
    help = (
        "集計表（Excel）を出力します。拡張子が .csv なら団体ごとの回答一覧を CSV（UTF-8 BOM付き）で出力します。"
        "--round を省略すると回答受付中の調査回（なければ最新の調査回）、--snapshot を指定すると確定集計から作成します。"
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="出力先のファイル（.xlsx または .csv）")
        parser.add_argument("--round", type=int, dest="round_id", help="調査回のID")
        parser.add_argument("--snapshot", type=int, dest="snapshot_id", help="確定集計（スナップショット）のID")
        parser.add_argument("--prefecture", default="", help="都道府県コード（2桁）で範囲を絞る")
        parser.add_argument("--compare", type=int, dest="compare_id",
                            help="比較する調査回のID（同じ調査票の別の回。比較シートを加える。Excel のみ）")

    def handle(self, *args, out, round_id=None, snapshot_id=None, prefecture="", compare_id=None, **options):
        path = Path(out)
        fmt = "csv" if path.suffix.lower() == ".csv" else "xlsx"
        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError(f"出力先の拡張子は .xlsx か .csv にしてください: {path}")
        if not path.parent.exists():
            raise CommandError(f"出力先のフォルダがありません: {path.parent}")
        rnd, snapshot = self._round_and_snapshot(round_id, snapshot_id)
        source = FigureSource(rnd, snapshot, Scope(prefecture=prefecture))
        if prefecture and not source.targets().exists():
            raise CommandError(f"都道府県コード {prefecture} の調査対象団体はこの調査回にありません。")
        figures = export_file(source, path, fmt=fmt, progress=self._progress,
                              compare_with=self._compared(rnd, compare_id, source))
        audit(Action.EXPORT, actor=None, target=f"round:{rnd.pk}", kind="aggregate_workbook_command",
              path=str(path), **{k: figures.get(k) for k in ("snapshot_id", "prefecture", "content_sha256")})
        self.stdout.write(
            f"{path} を作成しました：{rnd.title}（{source.describe()}）、対象 {figures['targets']} 団体、"
            f"提出 {figures['responses']} 件。"
        )
        if figures.get("content_sha256"):
            self.stdout.write(f"内容ハッシュ（SHA-256）：{figures['content_sha256']}")
        if figures.get("verified") is False:
            raise CommandError("確定時の内容ハッシュと一致しません。確定集計の内容が変わっています。")

    def _round_and_snapshot(self, round_id, snapshot_id):
        snapshot = None
        if snapshot_id is not None:
            snapshot = Snapshot.objects.select_related("round__survey").filter(pk=snapshot_id).first()
            if snapshot is None:
                raise CommandError(f"確定集計 ID {snapshot_id} はありません。")
            if round_id is not None and snapshot.round_id != round_id:
                raise CommandError(
                    f"確定集計 ID {snapshot_id} は調査回 ID {snapshot.round_id} のものです（指定：調査回 ID {round_id}）。")
            return snapshot.round, snapshot
        if round_id is not None:
            rnd = Round.objects.select_related("survey").filter(pk=round_id).first()
            if rnd is None:
                raise CommandError(f"調査回 ID {round_id} はありません。")
            return rnd, None
        qs = Round.objects.select_related("survey")
        rnd = qs.filter(status=RoundStatus.OPEN).order_by("deadline").first() or qs.first()
        if rnd is None:
            raise CommandError("調査回がありません。")
        return rnd, None

    def _compared(self, rnd, compare_id, source):
        if compare_id is None:
            return None
        other = Round.objects.select_related("survey").filter(pk=compare_id).first()
        if other is None or other.pk == rnd.pk or other.survey.code != rnd.survey.code:
            raise CommandError(f"調査回 ID {compare_id} は比較できません（同じ調査票の別の調査回を指定してください）。")
        return FigureSource(other, None, source.scope)

    def _progress(self, done: int) -> None:
        self.stderr.write(f"  {done} 団体…")
