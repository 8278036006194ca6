from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.models import Filing, FilingRevision
from evaluations.services.interchange import (
    DocumentError,
    document_from_bytes,
    filing_computed,
    filing_import,
)

from ._lookup import acting_as, actor_by_username

ACTOR_HELP = "记录为操作人的用户名（须为已有账号）；不加时记录为“系统”"


class Command(BaseCommand):
    # Run at the server by an administrator, who may create what a file needs;
    # the web import (reviewers) never creates them (filing_import's actor).
    help = (
        "从 perfeval-filing/2（或旧版 /1）JSON 文件导入一份部门整体支出绩效自评（草稿）。"
        "由系统管理员在服务器上运行：文件中的行政区划、预算部门或年度不存在时会新建"
        "（新年度为开放填报、使用默认评分模板）；网页导入则不会新建。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="JSON 文件路径")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="覆盖已存在的自评（仅限草稿或已退回状态）；与现有内容相同时不写入",
        )
        parser.add_argument("--actor", metavar="USERNAME", help=ACTOR_HELP)

    def handle(self, *args, path, replace, actor, **options):
        actor = actor_by_username(actor)
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取文件 {path}：{error.strerror}", returncode=1) from None
        try:
            document = document_from_bytes(data)
            version = _current_version(document)
            with acting_as(actor):
                filing = filing_import(
                    document=document,
                    replace=replace,
                    author=actor,
                    source=FilingRevision.Source.COMMAND,
                )
        except DocumentError as error:
            if len(error.problems) > 1:
                # Every bad value, one a line (up to the listing limit).
                raise CommandError(f"导入失败（文件 {path}），{error}", returncode=1) from None
            raise CommandError(f"导入失败：{error}（文件 {path}）", returncode=1) from None
        computed = filing_computed(filing=filing)
        if version is None:
            verb = "已导入"
        elif filing.version == version:
            verb = f"无变化：与现有内容相同，未写入（仍为第 {filing.version} 版）"
        else:
            verb = f"已覆盖（第 {filing.version} 版）"
        self.stdout.write(
            f"{verb}：{filing.department.name} {filing.fiscal_year.year}年度"
            f"（{filing.get_status_display()}），"
            f"错误 {len(computed['errors'])} 项，警告 {len(computed['warnings'])} 项"
        )


def _current_version(document):
    """The version of the filing `document` would overwrite, None if new: the
    report says whether the import wrote a new one."""
    return (
        Filing.objects.filter(
            department__name=document.department.name,
            department__jurisdiction__name=document.department.jurisdiction,
            fiscal_year__year=document.fiscal_year,
        )
        .values_list("version", flat=True)
        .first()
    )
