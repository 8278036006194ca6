from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.services.interchange import (
    DocumentError,
    document_from_bytes,
    filing_computed,
    filing_import,
)


class Command(BaseCommand):
    help = "从 perfeval-filing/1 JSON 文件导入一份部门整体支出绩效自评（草稿）。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="JSON 文件路径")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="覆盖已存在的自评（仅限草稿或已退回状态）",
        )

    def handle(self, *args, path, replace, **options):
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取文件 {path}：{error.strerror}", returncode=1) from None
        try:
            filing = filing_import(document=document_from_bytes(data), replace=replace)
        except DocumentError as error:
            raise CommandError(f"导入失败：{error}（文件 {path}）", returncode=1) from None
        computed = filing_computed(filing=filing)
        verb = f"已覆盖（第 {filing.version} 版）" if filing.version > 1 else "已导入"
        self.stdout.write(
            f"{verb}：{filing.department.name} {filing.fiscal_year.year}年度"
            f"（{filing.get_status_display()}），"
            f"错误 {len(computed['errors'])} 项，警告 {len(computed['warnings'])} 项"
        )
