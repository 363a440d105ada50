"""The steps every signed, versioned plan shares (``core.plan_versions``, ``core.plan_models``):
checked in isolation here; the safety and wellness plan tests check them in use."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from pillars.core.errors import ValidationError
from pillars.core.plan_models import PlanSignature, PlanStatus
from pillars.core.plan_versions import clean_sections, not_ready

SECTIONS = [("a", "First"), ("b", "Second")]


def _text(code: str, label: str, n: int, entry: Any, problems: list[str]) -> dict[str, str] | None:
    text = str(entry.get("text", "")).strip()
    if text == "bad":
        problems.append(f"{label}, entry {n} is bad.")
    return {"text": text} if text else None


def _clean(raw: Any) -> dict[str, list[dict[str, str]]]:
    return clean_sections(
        raw, SECTIONS, _text, max_entries=2, too_many=lambda label: f"{label}: 2 at most."
    )


def test_sections_keep_their_entries_and_leave_out_empty_ones() -> None:
    assert _clean({"a": [{"text": " x "}, {"text": ""}], "b": []}) == {"a": [{"text": "x"}]}


def test_every_problem_is_reported_at_once_by_section() -> None:
    with pytest.raises(ValidationError) as exc:
        _clean(
            {"a": [{"text": "bad"}], "b": [{"text": "1"}, {"text": "2"}, {"text": "3"}], "z": []}
        )
    assert exc.value.message_dict == {
        "content": ["Unknown sections: z."],
        "a": ["First, entry 1 is bad."],
        "b": ["Second: 2 at most."],
    }


def test_content_that_is_not_a_mapping_or_a_section_not_a_list_is_refused() -> None:
    with pytest.raises(ValidationError):
        _clean(["a"])
    with pytest.raises(ValidationError) as exc:
        _clean({"a": "text"})
    assert exc.value.message_dict == {"a": ["First: give a list of entries."]}


def test_not_ready_names_empty_required_sections_and_a_passed_review() -> None:
    version = SimpleNamespace(content={"a": [{"text": "x"}]}, review_on=date(2026, 1, 1))
    assert not_ready(version, SECTIONS, date(2026, 1, 1)) == ["Before signing, fill in: Second."]
    assert not_ready(version, SECTIONS[:1], date(2026, 1, 2)) == [
        "The review date has passed: choose a new one in the draft first."
    ]


def test_the_shared_choices_match_both_plans() -> None:
    from pillars.incidents.models.safety import PersonSignature, SafetyPlanVersion
    from pillars.recovery.models.plans import WellnessPersonSignature, WellnessPlanVersion

    for signature in (PersonSignature, WellnessPersonSignature):
        assert signature.choices == PlanSignature.choices
    for model in (SafetyPlanVersion, WellnessPlanVersion):
        assert model._meta.get_field("status").choices == PlanStatus.choices
        assert model._meta.get_field("person_signature").choices == PlanSignature.choices
