#!/usr/bin/env python
"""Generate the demo city of 离石区 into ``data/boundaries/``: the command line of the package ``scripts/demo_city/``,
whose docstring describes the pipeline.

    python scripts/make_demo_city.py [--out data/boundaries] [--source-dir DIR] [--quiet]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # scripts/, where the package lives

from demo_city.build import main

if __name__ == "__main__":
    raise SystemExit(main())
