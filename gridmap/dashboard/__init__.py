"""The commander's dashboard 指挥驾驶舱: the figures of the start page and of the large screen 大屏, for the scope of
whoever looks. One module, :mod:`~gridmap.dashboard.figures`: today's and this week's reports, open / overdue /
closed, on-time and closure rates over the last weeks, the top and bottom units of the latest published scorecard,
the coverage rate and the hot spots (communities with the most reports in the last 30 days)."""

from gridmap.dashboard.figures import WEEKS, figures

__all__ = ["WEEKS", "figures"]
