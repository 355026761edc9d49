"""manage.py purge_removed_attachments: delete the files of attachments removed before removal deleted them."""
from django.core.management.base import BaseCommand

from survey.services.attachments import attachments_purge_removed


class Command(BaseCommand):
    help = ("削除（添付の取り消し）済みで、提出済みの版に含まれない添付ファイルを保存領域から削除します。"
            "削除は監査ログに記録されます。")

    def handle(self, *args, **options):
        count = attachments_purge_removed()
        self.stdout.write(self.style.SUCCESS(f"{count}件のファイルを削除しました。"))
