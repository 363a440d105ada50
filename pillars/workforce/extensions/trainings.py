"""What the trainings area adds: the hire and role-change listener (people.hooks) that
assigns required courses, and the courses in the admin."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pillars.people import hooks


def _register_admin() -> None:
    from pillars.people.admin import ReferenceAdmin
    from pillars.people.reference_admins import register_reference_admins
    from pillars.workforce.models.trainings import Course

    class CourseAdmin(ReferenceAdmin):
        list_display = ["name", "code", "renewal_months", "due_within_days", "is_active"]
        list_filter = ["is_active"]
        m2m_fields = ("required_for",)

        def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
            return ["code"] if obj is not None else []

    register_reference_admins((Course, CourseAdmin))


def install() -> None:
    from pillars.workforce.selectors.ladder import register_evaluator
    from pillars.workforce.selectors.trainings import ladder_training
    from pillars.workforce.services.trainings import on_staff_changed

    register_evaluator("training", ladder_training)

    hooks.on_staff_changed(on_staff_changed)
    _register_admin()
