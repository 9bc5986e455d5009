"""门前三包/五包: the shops along the streets, their frontages 门前责任区, signed letters 责任书, monthly scores with
every deducted point traced to its case, rankings, and flags (流动红旗; yellow/black up an escalation ladder).

Modules, in the order they depend on each other:

- ``credit_code``: the unified social credit code (GB 32100-2015) and its check character
- ``schemes``: items, points, category → item map, pass mark, flag rules and ladder — data, versioned
- ``placement``: a shop's road segment, grid, 街道 and frontage from its position (:mod:`gridmap.geo.frontage`)
- ``registry``: create, change, close, read shops (audited)
- ``files``: ``gridmap shops import`` (CSV/XLSX, all or nothing) and the template
- ``letters``: responsibility letters and their scans
- ``scoring``: a month's scores, deductions (sources: cases now, inspections later), ranks and flags
- ``reads``: what the pages and the API show
- ``demo``: the demo city's shops and their year of scores
"""
