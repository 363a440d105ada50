"""Reads in rounds scoped to the user, one module per area; the order reads are re-exported."""

from pillars.rounds.selectors.orders import (
    current_order,
    current_order_summary,
    get_check_for,
    get_order_for,
    open_orders_on,
    order_history,
    order_history_qs,
    order_to_record,
    orders_visible_to,
    read_order_for,
    recent_checks,
)

__all__ = [
    "current_order",
    "current_order_summary",
    "get_check_for",
    "get_order_for",
    "open_orders_on",
    "order_history",
    "order_history_qs",
    "order_to_record",
    "orders_visible_to",
    "read_order_for",
    "recent_checks",
]
