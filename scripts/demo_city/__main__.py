"""``python -m demo_city`` with ``scripts/`` on the path: the same command line as ``scripts/make_demo_city.py``."""

from .build import main

if __name__ == "__main__":
    raise SystemExit(main())
