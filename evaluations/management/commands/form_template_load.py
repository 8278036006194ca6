from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evaluations.services.form_templates import (
    FormTemplateError,
    form_template_install,
    form_template_size,
)


class Command(BaseCommand):
    help = (
        "安装一个表式模板（perfeval-form-template/1 JSON 文件）。同一代码和版本已安装且内容相同时"
        "不做改动；内容不同时拒绝（修改模板须使用新版本号）。有问题时逐行列出位置和原因，退出码 1。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="模板 JSON 文件路径")
        parser.add_argument("--actor", help="记为安装人的用户名（默认：系统）")

    def handle(self, *args, path, actor, **options):
        user = None
        if actor:
            user = get_user_model().objects.filter(username=actor).first()
            if user is None:
                raise CommandError(f"找不到用户“{actor}”。", returncode=1)
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取文件 {path}：{error.strerror}", returncode=1) from None
        started = timezone.now()
        try:
            installed = form_template_install(data=data, actor=user)
        except FormTemplateError as error:
            lines = [f"未安装：文件 {path} 有 {len(error.problems)} 处问题："]
            lines += [f"{problem.path}：{problem.message}" for problem in error.problems]
            raise CommandError("\n".join(lines), returncode=1) from None
        size = form_template_size(installed.template())
        already = "（此前已安装，内容相同，未改动）" if installed.installed_at < started else ""
        self.stdout.write(
            f"已安装 {installed.identity}（{size.tables} 个表、{size.rows} 行）{already}"
        )
