import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluations.models import Filing
from evaluations.services.excel import filing_workbook
from evaluations.services.interchange import filing_export_json
from evaluations.services.pdf import PAGE_NUMBER_STYLES, filing_report_pdf
from evaluations.services.reports import report_pdf_bytes

from ._lookup import department_by_name

FORMATS = ("json", "xlsx", "pdf")


class Command(BaseCommand):
    help = (
        "导出一个部门某年度的自评：perfeval-filing/2 JSON、Excel 工作簿（xlsx）"
        "或 PDF 报告（pdf）；xlsx 和 pdf 需用 -o 指定文件。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--department", required=True, help="部门名称")
        parser.add_argument("--jurisdiction", help="行政区划名称（部门名称重名时必填）")
        parser.add_argument("--year", required=True, type=int, help="年度，如 2023")
        parser.add_argument("--format", choices=FORMATS, default="json", help="导出格式")
        parser.add_argument(
            "-o", "--output", help="输出文件路径；json 省略时写到标准输出，xlsx、pdf 必须指定"
        )
        parser.add_argument(
            "--page-numbers",
            choices=PAGE_NUMBER_STYLES,
            help=(
                "pdf 的页码样式：chinese 为“第 X 页 共 Y 页”，gbt9704 为公文式“— X —”。"
                "指定时总是重新生成（已审核的填报也不取审核版文件）。"
            ),
        )

    def handle(
        self, *args, department, jurisdiction, year, format, output, page_numbers, **options
    ):
        # A workbook or a PDF is binary: written to a terminal it is noise, and
        # piped through a text stream it would be corrupted.
        if format in {"xlsx", "pdf"} and output is None:
            raise CommandError(
                f"{format} 是二进制文件，不能写到标准输出，请用 -o 指定输出文件路径。",
                returncode=2,
            )
        filing = self._filing(name=department, jurisdiction=jurisdiction, year=year)
        if format == "xlsx":
            self._write(output, filing_workbook(filing=filing))
        elif format == "pdf" and page_numbers:
            self._write(output, filing_report_pdf(filing=filing, page_numbers=page_numbers))
        elif format == "pdf":
            data = report_pdf_bytes(filing=filing)
            if data is None:
                raise CommandError(
                    "该自评已审核，审核版报告尚未生成；请先运行 render_reports 或等待后台任务。",
                    returncode=1,
                )
            self._write(output, data)
        else:
            text = (
                json.dumps(filing_export_json(filing=filing), ensure_ascii=False, indent=2) + "\n"
            )
            if output is None:
                self.stdout.write(text, ending="")
                return
            self._write(output, text.encode("utf-8"))
        self.stdout.write(f"已导出：{filing.department.name} {year}年度 → {output}")

    def _write(self, output, data):
        try:
            Path(output).write_bytes(data)
        except OSError as error:
            raise CommandError(f"无法写入文件 {output}：{error.strerror}", returncode=1) from None

    def _filing(self, *, name, jurisdiction, year):
        department = department_by_name(name=name, jurisdiction=jurisdiction)
        filing = Filing.objects.filter(department=department, fiscal_year__year=year).first()
        if filing is None:
            raise CommandError(f"“{name}”没有 {year} 年度的自评。", returncode=1)
        return filing
