"""The register of responsible units (包联单位) and their people: creating, editing, retiring and merging them, by
hand or from a file, every change audited with its actor. Retired rows stay: assignments and cases name them.

Modules, in the order they depend on each other:

* :mod:`~gridmap.units.vocabulary` — unit kinds and people's roles, their words in Chinese and English.
* :mod:`~gridmap.units.register` — the use-cases on units and people.
* :mod:`~gridmap.units.files` — importing units and people from CSV/XLSX, all or nothing; the template.
"""
