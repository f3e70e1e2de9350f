"""群发 (mass push): announcing a product on sale to all followers or to a user tag, always previewed first
on the sending staff member's own WeChat."""

from ...feature import Feature

feature = Feature(
    name="pushes",
    package=__name__,
    models=(".models",),
    admin=(".admin",),
)
