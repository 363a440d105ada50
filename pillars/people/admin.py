"""The Django admin, kept for reference data only: organization, sites, units, programs, rooms,
beds and roles. Every save goes through ``services.save_reference`` (policy, one transaction, an
audit event with old and new values); nothing is deleted. Persons served, staff, episodes and
the audit log are not here: they have their own audited pages.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db import models
from django.http import HttpRequest

from pillars.core import policy
from pillars.people import services
from pillars.people.models import Bed, Organization, Program, Role, Room, Site, Unit

ADMIN_ACTION = "people.edit_unit"


def _allowed(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_authenticated) and policy.can(user, ADMIN_ACTION)


def _site_has_permission(request: HttpRequest) -> bool:
    """The whole admin site is for administrators (policy), not for Django's is_staff flag
    alone: a staff flag left on an account must not open it."""
    return _allowed(request)


# The project uses the default admin site (pillars/urls.py); its permission check is replaced
# here so that the policy layer, not Django's model permissions, decides who gets in.
admin.site.has_permission = _site_has_permission  # type: ignore[method-assign]
admin.site.site_header = "Pillars reference data"
admin.site.site_title = "Pillars reference data"
admin.site.index_title = "Reference data (every change is audited)"

REFERENCE_MODELS: tuple[type[models.Model], ...] = (
    Organization,
    Site,
    Unit,
    Program,
    Room,
    Bed,
    Role,
)

# Other apps' admin registrations (auth groups, one-time-password devices, lockouts, task
# rows) would let writes bypass the services and the audit log: the admin keeps reference data
# only. Apps listed before people in INSTALLED_APPS have registered by now.
for _model in list(admin.site._registry):
    if _model not in REFERENCE_MODELS:
        admin.site.unregister(_model)


class ReferenceAdmin(admin.ModelAdmin):
    """Saves through the audited service; deleting is refused (deactivate instead)."""

    m2m_fields: tuple[str, ...] = ()
    # Fields other records name this row by: given when it is added, fixed from then on.
    fixed_once_saved: tuple[str, ...] = ()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(
        self, request: HttpRequest, obj: Any = None
    ) -> list[str] | tuple[str, ...]:
        """The fields fixed once the row exists, when it does."""
        if obj is not None and self.fixed_once_saved:
            return list(self.fixed_once_saved)
        return super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        m2m = {name: form.cleaned_data[name] for name in self.m2m_fields if name in form.fields}
        services.save_reference(obj, actor=request.user, m2m=m2m)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The service already set the many-to-many fields inside its audited transaction; only
        # the other many-to-many fields (none today) would be left for the form.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Organization)
class OrganizationAdmin(ReferenceAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Site)
class SiteAdmin(ReferenceAdmin):
    list_display = ["name", "organization", "address"]
    list_select_related = ["organization"]
    search_fields = ["name"]


class UnitForm(forms.ModelForm):
    class Meta:
        model = Unit
        fields = [
            "site",
            "name",
            "code",
            "kind",
            "time_zone",
            "bed_count",
            "is_substance_use_program",
            "is_active",
        ]

    def clean_time_zone(self) -> str:
        zone = str(self.cleaned_data["time_zone"]).strip()
        if zone not in available_timezones():
            raise forms.ValidationError(
                "Use a time zone name such as America/Chicago or America/New_York."
            )
        return zone


@admin.register(Unit)
class UnitAdmin(ReferenceAdmin):
    form = UnitForm
    list_display = ["name", "code", "site", "kind", "time_zone", "bed_count", "is_active"]
    list_filter = ["kind", "is_active", "site"]
    list_select_related = ["site"]
    search_fields = ["name", "code"]


class ProgramForm(forms.ModelForm):
    # The link has a model of its own (each row carries its organization), which the admin
    # does not offer by itself: the field is declared here, and the service sets it.
    units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.all(),
        required=False,
        widget=FilteredSelectMultiple("units", is_stacked=False),
    )

    class Meta:
        model = Program
        fields = ["organization", "name", "units"]


@admin.register(Program)
class ProgramAdmin(ReferenceAdmin):
    form = ProgramForm
    list_display = ["name", "organization"]
    list_select_related = ["organization"]
    m2m_fields = ("units",)


@admin.register(Room)
class RoomAdmin(ReferenceAdmin):
    list_display = ["name", "unit"]
    list_filter = ["unit"]
    list_select_related = ["unit"]
    search_fields = ["name"]


@admin.register(Bed)
class BedAdmin(ReferenceAdmin):
    list_display = ["__str__", "room", "is_active"]
    list_filter = ["is_active", "room__unit"]
    list_select_related = ["room__unit"]


@admin.register(Role)
class RoleAdmin(ReferenceAdmin):
    list_display = ["name", "code", "requires_two_factor", "may_break_glass", "is_org_wide"]
    fixed_once_saved = ("code",)  # policies name roles by code
