"""The constants one Hunan-family scoring needs, as a plain value.

The scoring and validation of the Hunan family read these attributes and
nothing else, so any object that has them will do: the `ScoringTemplate`
rows administrators edit in the admin, or a `ScoringParams` built by a test
or from a form template file.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

REVERSE_LINEAR = "linear"  # DOMAIN.md: A < B < 2A → (1 − (B − A)/A) × w; B ≥ 2A → 0.
REVERSE_RATIO = "ratio"  # some provinces: A/B × w.


class ScoringSettings(Protocol):
    execution_weight: Decimal
    output_weight: Decimal
    benefit_weight: Decimal
    satisfaction_weight: Decimal
    grade_excellent: Decimal
    grade_good: Decimal
    grade_pass: Decimal
    reverse_formula: str
    deviation_required: bool
    allow_normalization: bool

    @property
    def advisory_level1_weights(self) -> dict[str, Decimal]: ...


@dataclass(frozen=True)
class ScoringParams:
    """The defaults are DOMAIN.md's: 10 points for the execution rate,
    suggested 产出 50 / 效益 30 / 满意度 10, 优 ≥ 90, 良 ≥ 80, 中 ≥ 60."""

    execution_weight: Decimal = Decimal("10")
    output_weight: Decimal = Decimal("50")
    benefit_weight: Decimal = Decimal("30")
    satisfaction_weight: Decimal = Decimal("10")
    grade_excellent: Decimal = Decimal("90")
    grade_good: Decimal = Decimal("80")
    grade_pass: Decimal = Decimal("60")
    reverse_formula: str = REVERSE_LINEAR
    deviation_required: bool = True
    allow_normalization: bool = False

    @property
    def advisory_level1_weights(self) -> dict[str, Decimal]:
        return {
            "产出指标": self.output_weight,
            "效益指标": self.benefit_weight,
            "满意度指标": self.satisfaction_weight,
        }
