"""The HTML pages, one blueprint per module: :mod:`~.home` (the start page), :mod:`~.maps` (the coverage map, a
unit, a feature's history) and :mod:`~.command` (assign by drawing, gaps, the problem heatmap)."""
