"""The read side of the map: layers by bounding box, zoom and day with their responsible unit
(:mod:`~gridmap.maps.layers`, also served as OGC API – Features), what a popup or the search box shows about one
feature or unit (:mod:`~gridmap.maps.features`), and the problem heatmap (:mod:`~gridmap.maps.heat`)."""
