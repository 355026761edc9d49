from django.core.management.base import BaseCommand, CommandError

from survey.services.demo import demo_totp_code


class Command(BaseCommand):
    help = ("デモ用アカウントの認証アプリがいま表示する確認コードを表示します（スマートフォンなしで二要素認証を"
            "試すため）。デモ用アカウント以外には使えません。")

    def add_arguments(self, parser):
        parser.add_argument("email", help="デモ用アカウントのメールアドレス（例: admin@demo.example.jp）")

    def handle(self, *args, email, **options):
        try:
            code, seconds = demo_totp_code(email.strip().lower())
        except (ValueError, LookupError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{email} の確認コード: {code}（あと約 {seconds} 秒有効）")
