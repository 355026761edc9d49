from django.core.management.base import BaseCommand

from survey.services.scheduled_reminders import reminders_tick


class Command(BaseCommand):
    help = ("自動督促と都道府県への状況通知のうち、いま送る時期のものを送ります（Celery beat が定期的に行う処理を"
            "1回だけ実行します）。同じ督促は何度実行しても1回しか送りません。")

    def handle(self, *args, **options):
        counts = reminders_tick()
        self.stdout.write(f"新たに送信対象 {counts['claimed']} 件、送信済 {counts['sent']} 件、送信失敗 {counts['failed']} 件、"
                          f"送信せず {counts['skipped']} 件、中断を記録 {counts['interrupted']} 件。")
