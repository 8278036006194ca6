"""The report frozen at approval: rendered once, stored with its SHA-256, and
served byte for byte to reviewers, officers and the public."""

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from evaluations.models import Filing, FilingTransition

logger = logging.getLogger(__name__)

Status = Filing.Status
FROZEN_STATUSES = {Status.APPROVED, Status.PUBLISHED}


def report_filename(*, filing: Filing) -> str:
    return f"{filing.fiscal_year.year}年度{filing.department.name}部门整体支出绩效自评报告.pdf"


def _latest_approval_pk(filing_id: int) -> int | None:
    return (
        FilingTransition.objects.filter(
            filing_id=filing_id, from_status=Status.SUBMITTED, to_status=Status.APPROVED
        )
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )


def report_freeze(*, filing_id: int) -> Filing | None:
    """Render the report of an approved or published filing that has no frozen
    PDF yet, and store it with its SHA-256 and size.

    Rendering happens outside any transaction (it takes a while); the result is
    stored only if, under a row lock, the filing is still approved/published,
    still unfrozen and still under the approval that was rendered — otherwise
    the render is dropped (a reopen, a new approval or another freeze won the
    race; publishing does not change what is frozen). Returns the filing,
    or None when there was nothing to freeze. Called by the background task
    queued on approval and by `render_reports`.
    """
    from evaluations.services.pdf import filing_report_pdf

    filing = Filing.objects.select_related("department", "fiscal_year").get(pk=filing_id)
    if filing.status not in FROZEN_STATUSES or filing.report_sha256:
        return None
    approval = _latest_approval_pk(filing_id)
    data = filing_report_pdf(filing=filing)
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        locked = Filing.objects.select_for_update().get(pk=filing_id)
        if (
            locked.status not in FROZEN_STATUSES
            or locked.report_sha256
            or _latest_approval_pk(filing_id) != approval
        ):
            logger.info("报告冻结已放弃：填报 %s 在生成期间已变化。", filing_id)
            return None
        locked.report_pdf.save(
            f"filing-{filing_id}-{digest[:12]}.pdf", ContentFile(data), save=False
        )
        locked.report_sha256 = digest
        locked.report_size = len(data)
        locked.report_rendered_at = timezone.now()
        locked.save(
            update_fields=["report_pdf", "report_sha256", "report_size", "report_rendered_at"]
        )
    return locked


def report_discard(*, filing: Filing) -> None:
    """Forget the frozen report of `filing` (a reopened filing must be rendered
    again when it is approved again). Clears the fields in the caller's
    transaction; the file is deleted after the commit."""
    if not filing.report_pdf and not filing.report_sha256:
        return
    name = filing.report_pdf.name
    storage = filing.report_pdf.storage
    filing.report_pdf = ""
    filing.report_sha256 = ""
    filing.report_size = None
    filing.report_rendered_at = None
    filing.save(update_fields=["report_pdf", "report_sha256", "report_size", "report_rendered_at"])
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def report_pdf_bytes(*, filing: Filing) -> bytes | None:
    """The bytes to serve for `filing`'s report: the frozen file of an approved
    or published filing (None while its background render is pending), or a
    fresh render (with the 草稿 watermark unless approved) for any other
    status. The caller checks that the user may see the filing."""
    from evaluations.services.pdf import filing_report_pdf

    if filing.status in FROZEN_STATUSES:
        if not filing.report_sha256:
            return None
        with filing.report_pdf.open("rb") as handle:
            return handle.read()
    return filing_report_pdf(filing=filing)
