"""Bar charts drawn as inline SVG by the dashboard template (no script, no CDN: the panel works offline).

Python does the geometry; the template only draws the rectangles and labels it is given.
"""

from dataclasses import dataclass

WIDTH, HEIGHT = 700, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 30  # margins for the axis labels


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    ok_y: float
    ok_height: float
    failed_y: float
    failed_height: float
    label: str  # the day, MM-DD
    ok: int
    failed: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) of the horizontal grid lines
    left: int
    bottom_y: float


def nice_top(value: int) -> int:
    """The axis top: the first of 4, 8, 20, 40, 80, 200 ... at or above `value`, so the quarter lines are round."""
    magnitude = 1
    while True:
        for step in (4, 8, 20):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def stacked_bars(days) -> Chart:
    """`days`: DayCount items (day, ok, failed), oldest first."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_top(max((d.total for d in days), default=0))
    slot = plot_w / max(len(days), 1)
    bar_w = slot * 0.6
    bottom_y = TOP + plot_h
    bars = []
    for i, d in enumerate(days):
        ok_h = plot_h * d.ok / top
        failed_h = plot_h * d.failed / top
        x = LEFT + i * slot + (slot - bar_w) / 2
        bars.append(Bar(x=round(x, 1), width=round(bar_w, 1), ok_y=round(bottom_y - ok_h, 1), ok_height=round(ok_h, 1),
                        failed_y=round(bottom_y - ok_h - failed_h, 1), failed_height=round(failed_h, 1),
                        label=d.day.strftime("%m-%d"), ok=d.ok, failed=d.failed))
    ticks = [(round(bottom_y - plot_h * k / 4, 1), round(top * k / 4)) for k in range(5)]
    return Chart(width=WIDTH, height=HEIGHT, bars=bars, ticks=ticks, left=LEFT, bottom_y=bottom_y)
