"""The catalogue every case needs: problem categories with their deadlines, and the working calendar.

Modules, in the order they depend on each other:

* :mod:`~gridmap.catalogue.working_calendar` — deadlines in urgent hours, working hours or working days, and the
  traffic light (pure: no database).
* :mod:`~gridmap.catalogue.cache` — the categories and holidays as this process last read them, re-read when their
  change counter moves.
* :mod:`~gridmap.catalogue.categories` — seed data, listing and editing of categories and holidays.
"""
