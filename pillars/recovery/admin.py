"""The recovery app's reference data in the admin (administrators only, every save audited
through people.services.save_reference, nothing deleted), like the incidents app's."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin

from pillars.people.admin import ReferenceAdmin
from pillars.recovery.models import PeerActivity, PeerServiceRule, ScopeGuardTerm


class PeerActivityForm(forms.ModelForm):
    class Meta:
        model = PeerActivity
        fields = ["code", "label", "description", "sort_order", "is_active"]
        help_texts = {"is_active": "Retire a term instead of deleting it; used terms stay."}


@admin.register(PeerActivity)
class PeerActivityAdmin(ReferenceAdmin):
    form = PeerActivityForm
    list_display = ["label", "code", "sort_order", "is_active"]
    list_filter = ["is_active"]
    fixed_once_saved = ("code",)  # encounters name the term by its code in audit events


class ScopeGuardTermForm(forms.ModelForm):
    class Meta:
        model = ScopeGuardTerm
        fields = ["term", "pattern", "category", "suggestion", "is_active"]
        help_texts = {
            "pattern": "Optional regular expression (case-insensitive); blank matches the term "
            "as whole words.",
        }

    def clean_pattern(self) -> str:
        pattern = str(self.cleaned_data.get("pattern") or "")
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise forms.ValidationError(f"Not a valid pattern: {exc}.") from None
        return pattern


@admin.register(ScopeGuardTerm)
class ScopeGuardTermAdmin(ReferenceAdmin):
    form = ScopeGuardTermForm
    list_display = ["term", "category", "suggestion", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["term", "suggestion"]


class PeerServiceRuleForm(forms.ModelForm):
    class Meta:
        model = PeerServiceRule
        fields = [
            "program",
            "bills_peer_services",
            "service_code",
            "unit_minutes",
            "first_unit_minimum_minutes",
            "video_url_template",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        unit, first = data.get("unit_minutes"), data.get("first_unit_minimum_minutes")
        if unit and first and not 1 <= first <= unit:
            self.add_error(
                "first_unit_minimum_minutes", "The first unit needs 1 to the unit's minutes."
            )
        if data.get("bills_peer_services") and not data.get("service_code"):
            self.add_error("service_code", "A program that bills needs its service code.")
        template = data.get("video_url_template") or ""
        if template and not template.startswith("https://"):
            self.add_error("video_url_template", "The video link starts with https://.")
        return data


@admin.register(PeerServiceRule)
class PeerServiceRuleAdmin(ReferenceAdmin):
    form = PeerServiceRuleForm
    list_display = ["program", "bills_peer_services", "service_code", "unit_minutes"]
