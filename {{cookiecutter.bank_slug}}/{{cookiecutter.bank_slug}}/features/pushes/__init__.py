"""群发 (mass push): announcing a product on sale to all followers or to a user tag, always previewed first
on the sending staff member's own WeChat and approved by a second head-office admin (双人复核)."""

from ...feature import Feature

feature = Feature(
    name="pushes",
    package=__name__,
    models=(".models",),
    chat=(".job_report",),  # MASSSENDJOBFINISH, WeChat's report on a send
    admin=(".admin",),
)
