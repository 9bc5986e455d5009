"""Inspections 明查暗访 → problem list 问题清单 → rectification by a deadline 限期整改 → tick-off 销号 (issue 14).

::

    checklist template (point type, edition) ──open──► inspection (明查/暗访; team, day, 街道) ── frozen edition
                                                          │ findings on a phone: item, pass/fail, points, place, photos
                                                          ▼
                       failed item ──open_report (source inspection)──► case in the closed loop, routed to its unit
                                                          │                      (covert: withheld until published)
                       problem list by unit ◄─────────────┘   all cases closed after re-check ──► 销号
                       回头看: last week's failed points re-inspected; failing again = a repeat 反弹 against the unit

The modules, each using only those listed before it: :mod:`~.vocabulary` (point types, kinds),
:mod:`~.templates` (checklists in editions; :func:`current_edition` for other capabilities; the seeded set),
:mod:`~.records` (open, record findings, publish, read), :mod:`~.problems` (the problem list, its 销号 tally, XLSX),
:mod:`~.lookback` (the weekly look-back and repeats per unit).
"""

from gridmap.inspections.templates import current_edition, seed_templates

__all__ = ["current_edition", "seed_templates"]
