"""Road-chief patrols 路长巡查: tracks in, matched to the road segments, coverage and misses out.

Modules, in the order they depend on each other:

* :mod:`~.tracks` — a GPX file, a GeoJSON LineString with times or the phone's recording → one checked
  :class:`~.tracks.Track` in WGS-84 (GCJ-02 converted), or a refusal in Chinese and English;
* :mod:`~.network` — the stored segments as a fastmm road network, kept per process until the layers change;
* :mod:`~.matching` — filter fixes (accuracy, speed), map-match, and the rule "patrolled on a day" (≥ 2 matched
  fixes and ≥ 50 % of the segment covered, linear referencing);
* :mod:`~.record` — store a patrol (raw upload, kept line, one visit row per segment and day), all or nothing;
* :mod:`~.coverage` — per segment (times patrolled, last patrolled), coverage per road chief, unit and 街道 over the
  last N days, the "M times a month" rule by road level, days since the last patrol for the map;
* :mod:`~.misses` — missed detections 漏报: a public report of a patrol category where the person's patrol
  passed in the hours before, with no report of theirs of that category nearby.

Responsibility as of a day is the assignment history's (:mod:`gridmap.responsibility.history`): a patrol counts
for a segment when its walker was the segment's road chief (``road_chief`` role) on the patrol's day.
"""
