"""Branches (网点管理), head office only: add, edit, close and reopen the bank's branches with address, phone,
opening hours and coordinates, from the admin panel or `flask branches ...`, every write audited. Branch
operators and customers belong to a branch; the chat's 网点 reply lists the open ones."""

from ...feature import Feature

feature = Feature(
    name="branches",
    package=__name__,
    admin=(".admin",),
    cli=(".cli:branches_group",),
)
