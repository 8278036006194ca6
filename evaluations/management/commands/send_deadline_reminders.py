from django.core.management.base import BaseCommand, CommandError

from evaluations.services.reminders import deadline_reminders_send


class Command(BaseCommand):
    help = "提醒尚未报送的单位：在截止日期前 N 天给填报人发送邮件。"

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True, help="截止日期前的天数")

    def handle(self, *args, days, **options):
        if days < 0:
            raise CommandError("--days 不能为负数。", returncode=1)
        sent = deadline_reminders_send(days=days)
        self.stdout.write(f"已发送提醒邮件 {len(sent)} 封。")
        for line in sent:
            self.stdout.write(f"  {line}")
