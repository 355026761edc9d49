from django.core.management.base import BaseCommand

from survey.services.demo import seed_demo


class Command(BaseCommand):
    help = "デモ用のデータ（団体マスタ、調査、調査回、デモアカウント、合成回答）を作成します。何度実行しても同じ結果です。"

    def add_arguments(self, parser):
        parser.add_argument("--responses", type=int, default=400, help="合成回答の数（既定 400）")

    def handle(self, *args, responses=400, **options):
        result = seed_demo(responses=responses)
        self.stdout.write(f"調査回: {result.round.title}（id={result.round.pk}、対象 {result.round.targets.count()} 団体）")
        if result.created_responses:
            self.stdout.write(f"合成回答を {result.created_responses} 件作成しました。")
        self.stdout.write("デモ用ログイン（メールアドレス / パスワード）:")
        for email, password, label in result.accounts:
            self.stdout.write(f"  {label:<24} {email} / {password}")
        self.stdout.write("二要素認証:")
        for line in result.two_factor:
            self.stdout.write(f"  {line}")
