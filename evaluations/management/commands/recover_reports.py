from datetime import timedelta

from django.core.management.base import BaseCommand

from evaluations.services.reports import RENDER_STUCK_AFTER, reports_recover


class Command(BaseCommand):
    help = (
        "为已审核（含已公开）但审核版报告既未生成、也没有排队或正在生成的填报重新排队生成；"
        "正在生成超过时限的任务视为工作进程已退出，先标记为失败。"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stuck-after",
            type=int,
            default=int(RENDER_STUCK_AFTER.total_seconds()),
            metavar="SECONDS",
            help=(
                "“正在生成”超过这么多秒的任务视为已中断（默认 %(default)s）。"
                "0 表示所有“正在生成”的任务都已中断：只在没有任何 db_worker 运行时使用，"
                "例如唯一的工作进程启动之前。"
            ),
        )

    def handle(self, *args, stuck_after, **options):
        result = reports_recover(stuck_after=timedelta(seconds=max(stuck_after, 0)))
        self.stdout.write(
            f"报告恢复：重新排队 {len(result.queued)} 份，"
            f"中断的生成任务 {result.abandoned_tasks} 个，"
            f"多次失败不再重试 {len(result.given_up)} 份。"
        )
        if result.given_up:
            ids = "、".join(str(pk) for pk in result.given_up)
            self.stderr.write(
                f"以下填报（编号 {ids}）的报告已连续生成失败，请查看 db_worker 日志，"
                "修正后运行 render_reports。"
            )
