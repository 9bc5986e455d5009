"""Who is responsible for what (包联 / 路长制 / 属地兜底), on any day: the assignment history, assigning and ending,
the gaps nobody holds, and the totals the start page shows.

Modules, in the order they depend on each other:

* :mod:`~gridmap.responsibility.history` — the read side: who held a target on a day, the open rows, the default
  party.
* :mod:`~gridmap.responsibility.drawing` — a shape drawn on the assign page, checked.
* :mod:`~gridmap.responsibility.preview` — what a drawn shape catches and who holds each feature now.
* :mod:`~gridmap.responsibility.assign` — the write side: assigning (parse → check → plan → write) and ending.
* :mod:`~gridmap.responsibility.units` — the unit picker.
* :mod:`~gridmap.responsibility.places` — where each feature is (its 街道/社区), its size and holder on a day.
* :mod:`~gridmap.responsibility.gap_totals` — gap totals per kind and 社区 for today, maintained by triggers'
  notes and the passing of days instead of recomputed per request.
* :mod:`~gridmap.responsibility.gaps` — the segments, compounds and grids nobody is responsible for, and the
  totals per 街道/社区.
* :mod:`~gridmap.responsibility.overview` — counts and coverage of the whole store.
"""
