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
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db import models
from django.http import HttpRequest

from pillars.core import policy
from pillars.people import services, tenancy
from pillars.people.models import Bed, Organization, Program, Role, Room, Site, Unit

ADMIN_ACTION = "people.edit_unit"
SHARED_KEY = "_pillars_may_change_shared"


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
    """Saves through the audited service; deleting is refused (deactivate instead).

    An administrator sees and changes their own organization's rows (the organization itself,
    its sites, units, programs, rooms and beds, and what other apps add), and is offered only
    those in every list, choice and filter: another organization's row is not there, as if it
    did not exist. The rows every organization shares (roles, rules) are shown to them too,
    and changed only by whoever ``services.may_change_shared`` allows (the service checks all
    of this again)."""

    m2m_fields: tuple[str, ...] = ()
    # Fields other records name this row by: given when it is added, fixed from then on.
    fixed_once_saved: tuple[str, ...] = ()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _allowed(request) and self._may_write(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _allowed(request) and self._may_write(request)

    def _may_write(self, request: HttpRequest) -> bool:
        if tenancy.organization_column(self.model) is not None:
            return True
        # Asked for every shared model an admin page lists: once per request.
        if SHARED_KEY not in request.__dict__:
            request.__dict__[SHARED_KEY] = services.may_change_shared(request.user)
        return bool(request.__dict__[SHARED_KEY])

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Any]:
        return tenancy.own_rows(super().get_queryset(request), request.user)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        """The form, its choices of related rows (a unit's site, a program's units) limited to
        the administrator's organization: a choice of another's is refused as not a choice."""
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        class InOrganization(form):  # type: ignore[misc,valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                for field in self.fields.values():
                    queryset = getattr(field, "queryset", None)
                    if queryset is not None:
                        field.queryset = tenancy.own_rows(queryset, user)

        InOrganization.__name__ = form.__name__
        return InOrganization

    def get_list_filter(self, request: HttpRequest) -> Any:
        """A filter by a related row offers only the rows the list names (the organization's),
        not every row of the related table."""
        filters: list[Any] = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and get_fields_from_path(self.model, entry)[-1].is_relation:
                entry = (entry, admin.RelatedOnlyFieldListFilter)
            filters.append(entry)
        return filters

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
    """The administrator's own organization (its name). A new organization is set up with its
    first administrator, not here: it would have nobody to run it."""

    list_display = ["name"]
    search_fields = ["name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


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
