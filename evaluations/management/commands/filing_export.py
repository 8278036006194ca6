import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from departments.models import Department
from evaluations.models import Filing
from evaluations.services.interchange import filing_export_json

FORMATS = ("json", "xlsx", "pdf")


class Command(BaseCommand):
    help = "导出一个部门某年度的自评（perfeval-filing/1 JSON）。"

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, help="部门名称")
        parser.add_argument("--jurisdiction", help="行政区划名称（部门名称重名时必填）")
        parser.add_argument("--year", required=True, type=int, help="年度，如 2023")
        parser.add_argument("--format", choices=FORMATS, default="json", help="导出格式")
        parser.add_argument("-o", "--output", help="输出文件路径；省略时写到标准输出")

    def handle(self, *args, department, jurisdiction, year, format, output, **options):
        if format != "json":
            raise CommandError(
                f"导出格式 {format} 将在后续版本提供，目前仅支持 json。", returncode=2
            )
        filing = self._filing(name=department, jurisdiction=jurisdiction, year=year)
        text = json.dumps(filing_export_json(filing=filing), ensure_ascii=False, indent=2) + "\n"
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"无法写入文件 {output}：{error.strerror}", returncode=1) from None
        self.stdout.write(f"已导出：{filing.department.name} {year}年度 → {output}")

    def _filing(self, *, name, jurisdiction, year):
        departments = Department.objects.filter(name=name).select_related("jurisdiction")
        if jurisdiction:
            departments = departments.filter(jurisdiction__name=jurisdiction)
        departments = list(departments)
        if not departments:
            where = f"（行政区划“{jurisdiction}”）" if jurisdiction else ""
            raise CommandError(f"找不到预算部门“{name}”{where}。", returncode=1)
        if len(departments) > 1:
            names = "、".join(department.jurisdiction.name for department in departments)
            raise CommandError(
                f"预算部门“{name}”在多个行政区划中存在（{names}），请用 --jurisdiction 指定。",
                returncode=1,
            )
        filing = Filing.objects.filter(department=departments[0], fiscal_year__year=year).first()
        if filing is None:
            raise CommandError(f"“{name}”没有 {year} 年度的自评。", returncode=1)
        return filing
