"""Mock assessments 模拟测评: field points drawn at random the way the national civilised-city assessment samples
them, walked by teams, scored, and summed up as a score rate per point type, per 街道 and overall.

::

    candidates (segments by level, compounds, places)          a stored draw (seed + parameters)
        │ excluding points drawn in the last K weeks                │
        ▼                                                           ▼
    quotas per type ──► per 街道 (largest remainder) ──► random keys (PCG64, seed) ──► T teams' routes
                                                                                        │
                                              score ÷ possible per point ──► rates by type, 街道, overall
                                                                              compared with the previous one

Modules, in the order they depend on each other:

* :mod:`~gridmap.assessments.vocabulary` — the point types (主次干道, 背街小巷, 小区, 农贸市场…) and their words.
* :mod:`~gridmap.assessments.sampling` — the stratified draw itself, pure numpy (allocation and selection).
* :mod:`~gridmap.assessments.routes` — drawn points split among teams and ordered as a walk, pure numpy.
* :mod:`~gridmap.assessments.candidates` — the candidate points of each type read from the store.
* :mod:`~gridmap.assessments.drawing` — ``draw``: check the request, draw, store it with its seed; read it back.
* :mod:`~gridmap.assessments.items` — a point scored item by item on its type's checklist; failed items open cases
  (the inspections' finding code); corrected or deleted until the assessment is closed.
* :mod:`~gridmap.assessments.scoring` — a point's score, the score rates compared with the previous draw, closing.
"""
