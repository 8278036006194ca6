from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.models import Filing, FilingRevision
from evaluations.services.excel import (
    FilingNotImportable,
    WorkbookError,
    document_from_workbook,
    filing_workbook_import,
    filing_workbook_preview,
    filing_workbook_read,
)
from evaluations.services.interchange import DocumentError, filing_import

from ._lookup import acting_as, actor_by_username, department_by_name
from .filing_import import ACTOR_HELP


class Command(BaseCommand):
    help = (
        "从 Excel 工作簿（本系统下载的 perfeval-xlsx/1 格式）导入一个部门某年度的自评。"
        "已有的自评须为草稿或已退回；没有时新建为草稿。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="工作簿（.xlsx）路径")
        parser.add_argument("--department", required=True, help="部门名称")
        parser.add_argument("--jurisdiction", help="行政区划名称（部门名称重名时必填）")
        parser.add_argument("--year", required=True, type=int, help="年度，如 2023")
        parser.add_argument(
            "--dry-run", action="store_true", help="只列出将要修改的内容和检查结果，不写入"
        )
        parser.add_argument("--actor", metavar="USERNAME", help=ACTOR_HELP)

    def handle(self, *args, path, department, jurisdiction, year, dry_run, actor, **options):
        department = department_by_name(name=department, jurisdiction=jurisdiction)
        self.actor = actor_by_username(actor)
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取文件 {path}：{error.strerror}", returncode=1) from None
        filing = Filing.objects.filter(department=department, fiscal_year__year=year).first()
        label = f"{department.name} {year}年度"
        try:
            if filing is None:
                self._create(data, department, year, label, dry_run)
            else:
                self._import(data, filing, label, dry_run)
        except WorkbookError as error:
            if len(error.problems) > 1:
                # Every bad cell, one a line (up to the listing limit).
                raise CommandError(f"导入失败（文件 {path}），{error}", returncode=1) from None
            raise CommandError(f"导入失败：{error}（文件 {path}）", returncode=1) from None
        except (FilingNotImportable, DocumentError) as error:
            message = getattr(error, "message", None) or str(error)
            raise CommandError(f"导入失败：{message}", returncode=1) from None

    def _import(self, data, filing, label, dry_run):
        document = filing_workbook_read(filing=filing, data=data)
        if dry_run:
            result = filing_workbook_preview(filing=filing, document=document)
            for change in result.changes:
                self.stdout.write(
                    f"{change.label}：{change.old or '（空）'} → {change.new or '（空）'}"
                )
            self.stdout.write(
                f"试运行：{label}{len(result.changes)} 处修改，未写入，{_counts(result)}"
            )
            return
        with acting_as(self.actor):
            result = filing_workbook_import(
                filing=filing,
                document=document,
                actor=self.actor,
                source=FilingRevision.Source.COMMAND,
            )
        if not result.written:
            self.stdout.write(f"无变化：{label}与工作簿一致，未写入，{_counts(result)}")
            return
        filing = result.filing
        self.stdout.write(
            f"已导入：{label}（{filing.get_status_display()}，第 {filing.version} 版），"
            f"{len(result.changes)} 处修改，{_counts(result)}"
        )

    def _create(self, data, department, year, label, dry_run):
        document = document_from_workbook(
            data=data,
            department_name=department.name,
            jurisdiction_name=department.jurisdiction.name,
            year=year,
        )
        if dry_run:
            self.stdout.write(f"试运行：{label}尚无自评，导入时将新建为草稿，未写入")
            return
        with acting_as(self.actor):
            filing = filing_import(
                document=document, author=self.actor, source=FilingRevision.Source.COMMAND
            )
        self.stdout.write(
            f"已导入：{label}（新建，{filing.get_status_display()}），"
            f"错误 {filing.error_count} 项，警告 {filing.warning_count} 项"
        )


def _counts(result):
    return f"错误 {len(result.errors)} 项，警告 {len(result.warnings)} 项"
