"""Single-value rules shared by the models, the web forms and the importers."""

from decimal import Decimal

from django.core.exceptions import ValidationError

# A narrative section of a real filing runs to a few thousand characters; the
# limit stops a pasted document or a hostile import, not honest prose.
MAX_TEXT_LENGTH = 20000
MIN_YEAR = 2000
MAX_YEAR = 2100


def validate_non_negative(value):
    if value is not None and value < Decimal("0"):
        raise ValidationError("金额不能为负数。", code="negative")


def validate_text_length(value):
    if value is not None and len(value) > MAX_TEXT_LENGTH:
        raise ValidationError(
            f"文字过长：最多 {MAX_TEXT_LENGTH} 个字符，当前 {len(value)} 个。",
            code="too_long",
        )
