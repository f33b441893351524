"""What every repository shares: the unit it belongs to and that unit's query helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.sqlite.unit import SqliteUnit


class Repository:
    """One area's queries, run on its unit's connection (so one transaction spans every area).

    The helpers are the unit's own bound methods, copied once: a unit of work runs a query with
    no extra call, which the replies benchmark would feel. ``unit`` reaches the other areas.
    """

    __slots__ = ("_all", "_all_in", "_many", "_one", "_run", "unit")

    def __init__(self, unit: SqliteUnit) -> None:
        self.unit = unit
        self._one = unit._one
        self._all = unit._all
        self._all_in = unit._all_in
        self._run = unit._run
        self._many = unit._many
