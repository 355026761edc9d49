from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from survey.models import Round, RoundTarget
from survey.services.sheets import answer_sheet_bytes, open_round


class Command(BaseCommand):
    help = "1団体の回答シート（.xlsx）を書き出します。調査回を省略すると回答受付中の調査回です。"

    def add_arguments(self, parser):
        parser.add_argument("out", help="書き出すファイル（.xlsx）")
        parser.add_argument("--org", required=True, help="団体コード（6桁）")
        parser.add_argument("--round", type=int, help="調査回のID（省略時は回答受付中の調査回）")
        parser.add_argument("--with-answers", action="store_true", help="現在の回答を記入して書き出す")

    def handle(self, *args, out, org, round=None, with_answers=False, **options):
        rnd = Round.objects.select_related("survey").filter(pk=round).first() if round else open_round()
        if rnd is None:
            raise CommandError(f"調査回 {round} がありません。" if round else "回答受付中の調査回がありません。--round を指定してください。")
        target = RoundTarget.objects.select_related("organization").filter(round=rnd, organization__code=org).first()
        if target is None:
            raise CommandError(f"団体 {org} は調査回「{rnd.title}」の対象ではありません。")
        target.round = rnd
        Path(out).write_bytes(answer_sheet_bytes(target, with_answers=with_answers))
        self.stdout.write(f"{out}: {target.organization.display_name}（{rnd.title}）の回答シートを書き出しました。")
