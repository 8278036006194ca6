import sys
import time

from django.core.management.base import BaseCommand, CommandError

from departments.models import Jurisdiction
from evaluations.models import Filing, FiscalYear
from evaluations.services.reports import FROZEN_STATUSES, report_freeze


class Command(BaseCommand):
    help = "为已审核（含已公开）但尚未生成报告的填报生成并冻结 PDF 报告。"

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="年度，如 2023")
        parser.add_argument("--jurisdiction", help="只处理该行政区划")

    def handle(self, *args, year, jurisdiction=None, **options):
        if not FiscalYear.objects.filter(year=year).exists():
            raise CommandError(f"没有 {year} 年度。", returncode=1)
        filings = Filing.objects.filter(
            fiscal_year__year=year, status__in=FROZEN_STATUSES, report_sha256=""
        )
        if jurisdiction:
            if not Jurisdiction.objects.filter(name=jurisdiction).exists():
                raise CommandError(f"没有名为“{jurisdiction}”的行政区划。", returncode=1)
            filings = filings.filter(department__jurisdiction__name=jurisdiction)
        pending = list(filings.order_by("department__name").values_list("pk", flat=True))
        total = len(pending)
        rendered = skipped = 0
        started = time.perf_counter()
        for done, filing_id in enumerate(pending, start=1):
            if report_freeze(filing_id=filing_id):
                rendered += 1
            else:
                skipped += 1
            self._progress(done, total)
        elapsed = time.perf_counter() - started
        rate = f"，平均每份 {elapsed / rendered:.2f} 秒" if rendered else ""
        self.stdout.write(
            f"{year}年度：待生成 {total} 份，已生成 {rendered} 份，跳过 {skipped} 份，"
            f"用时 {elapsed:.1f} 秒{rate}。"
        )

    def _progress(self, done, total):
        # A bar on a terminal; plain lines when the output is a file or a pipe.
        width = 30
        filled = width * done // total
        line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if sys.stderr.isatty():
            sys.stderr.write("\r" + line + ("\n" if done == total else ""))
            sys.stderr.flush()
        else:
            self.stderr.write(line)
