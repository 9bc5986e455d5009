"""Who is responsible for what (包联 / 路长制 / 属地兜底), on any day: the assignment history, assigning and ending,
the gaps nobody holds, and the totals the start page shows.

Modules, in the order they depend on each other:

* :mod:`~gridmap.responsibility.history` — the read side: who held a target on a day, the default party.
* :mod:`~gridmap.responsibility.assign` — the write side: what a drawn shape catches, assigning, ending, the units.
* :mod:`~gridmap.responsibility.gaps` — the segments, compounds and grids nobody is responsible for.
* :mod:`~gridmap.responsibility.overview` — counts and coverage of the whole store.
"""
