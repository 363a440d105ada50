"""Rounds models, one module per area; import them from here."""

from pillars.rounds.models.coverage import Coverage, MonitoringException, ShiftAssignment
from pillars.rounds.models.escalation import EscalationStep
from pillars.rounds.models.handoffs import Handoff, HandoffNote
from pillars.rounds.models.inspections import (
    Inspection,
    InspectionPhoto,
    InspectionResult,
    InspectionTemplate,
    TemplateItem,
    WorkOrder,
    WorkOrderUpdate,
)
from pillars.rounds.models.orders import (
    Check,
    CheckAddendum,
    ObservationLevel,
    ObservationOrder,
    SetAsideCheck,
)

__all__ = [
    "Check",
    "CheckAddendum",
    "Coverage",
    "EscalationStep",
    "Handoff",
    "HandoffNote",
    "Inspection",
    "InspectionPhoto",
    "InspectionResult",
    "InspectionTemplate",
    "MonitoringException",
    "ObservationLevel",
    "ObservationOrder",
    "SetAsideCheck",
    "ShiftAssignment",
    "TemplateItem",
    "WorkOrder",
    "WorkOrderUpdate",
]
