"""Single-value rules shared by the models, the web forms and the importers."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# The bounds of texts come from the paper forms (evaluations/services/limits.py).
from evaluations.core.limits import MAX_TEXT_LENGTH

MIN_YEAR = 2000
MAX_YEAR = 2100


def validate_non_negative(value):
    if value is not None and value < Decimal("0"):
        raise ValidationError("金额不能为负数。", code="negative")


def text_too_long(value, limit) -> str | None:
    """The message for a text above `limit` characters, or None; the same
    words on every entry path."""
    if value is None or len(value) <= limit:
        return None
    return f"文字过长：最多 {limit} 个字符，当前 {len(value)} 个。"


def validate_text_length(value):
    message = text_too_long(value, MAX_TEXT_LENGTH)
    if message:
        raise ValidationError(message, code="too_long")


@deconstructible
class TextLengthValidator:
    """validate_text_length for a text whose bound is not MAX_TEXT_LENGTH (a
    table cell); a class so that migrations can name it with its limit."""

    def __init__(self, limit: int):
        self.limit = limit

    def __call__(self, value):
        message = text_too_long(value, self.limit)
        if message:
            raise ValidationError(message, code="too_long")

    def __eq__(self, other):
        return isinstance(other, TextLengthValidator) and other.limit == self.limit


# What officers type beside ASCII digits: the full-width forms a Chinese input
# method produces (１３８０．５, １，３８０, －５), the ideographic and no-break
# spaces, the typographic minus, and "。" typed for the decimal point while the
# input method is in Chinese punctuation mode. static/js/funds.js mirrors this.
_TYPED_FORMS = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {
    0x3000: " ",
    0x00A0: " ",
    0x2212: "-",
    0xFE63: "-",
    0xFE50: ",",
    0xFE52: ".",
    0x3002: ".",
}
# Thousands separators only in groups of three, so that "1,38" (a mistyped
# 1.38?) is refused rather than read as 138; no exponent ("1e3"); ASCII digits
# only (after the translation above), as in the page's script.
_TYPED_NUMBER = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d*)(\.\d*)?", re.ASCII)


def typed_number(text: str, *, units: tuple[str, ...] = ()) -> str | None:
    """The plain numeral ("-1380.50") of a number as an officer types it, or
    None when the text is not one.

    Accepted beside "1380.50": full-width digits and punctuation, thousands
    separators ("1,380.50"), spaces around the number, and one of `units`
    after it ("1380.50万元", "36 人"). Anything else, a different unit ("元"
    where 万元 is meant) included, is None: the caller says what it expects.
    """
    cleaned = text.translate(_TYPED_FORMS).strip()
    for unit in sorted(units, key=len, reverse=True):
        if cleaned.lower().endswith(unit.lower()):
            cleaned = cleaned[: -len(unit)].rstrip()
            break
    match = _TYPED_NUMBER.fullmatch(cleaned)
    if match is None:
        return None
    sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
    if not any(character.isdigit() for character in whole + fraction):
        return None
    return sign + whole.replace(",", "") + fraction
