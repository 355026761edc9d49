"""The survey engine: pure functions over the survey definition and plain answer values.

No Django here: the web form, the workbook reader/writer and the aggregation all call these.
"""

from pathlib import Path

from .branching import (
    APPLICABLE,
    PENDING,
    SKIPPED,
    ItemPath,
    SkipReason,
    applicable_items,
    clear_inapplicable,
    condition_holds,
    first_co_occurring_pair,
    followup_status,
    item_paths,
    item_status,
    items_co_occur,
    skip_reasons,
)
from .carryover import Carried, CarryNotice, DefinitionDiff, ItemChange, carry_answers, definition_diff
from .definition import (
    Condition,
    Definition,
    DefinitionError,
    FieldCheck,
    FollowUp,
    Guidance,
    Item,
    Option,
    OrgKind,
    RespondentField,
    RiskLevel,
    RiskRule,
)
from .issues import ERROR, WARNING, Issue
from .loading import definition_from_dict, load_definition
from .months import format_month, format_month_wareki, month_display, parse_month
from .normalise import match_option, normalise_answers, normalise_value
from .respondent import ministry_values, normalise_respondent
from .risk import FiredRule, Risk, classify_risk, indicators
from .serial import definition_to_dict
from .validate import validate

DEFINITIONS_DIR = Path(__file__).resolve().parent.parent / "definitions"

__all__ = [
    "DEFINITIONS_DIR",
    "format_month",
    "format_month_wareki",
    "month_display",
    "first_co_occurring_pair",
    "items_co_occur",
    "APPLICABLE",
    "CarryNotice",
    "Carried",
    "DefinitionDiff",
    "ItemChange",
    "carry_answers",
    "definition_diff",
    "PENDING",
    "SKIPPED",
    "ERROR",
    "WARNING",
    "Condition",
    "Definition",
    "DefinitionError",
    "FieldCheck",
    "FiredRule",
    "FollowUp",
    "Guidance",
    "Issue",
    "Item",
    "ItemPath",
    "Option",
    "OrgKind",
    "RespondentField",
    "Risk",
    "RiskLevel",
    "RiskRule",
    "SkipReason",
    "applicable_items",
    "classify_risk",
    "clear_inapplicable",
    "condition_holds",
    "definition_from_dict",
    "definition_to_dict",
    "followup_status",
    "indicators",
    "item_paths",
    "item_status",
    "load_definition",
    "match_option",
    "ministry_values",
    "normalise_answers",
    "normalise_respondent",
    "normalise_value",
    "parse_month",
    "skip_reasons",
    "validate",
]
