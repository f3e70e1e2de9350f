"""Staff of the admin panel: their accounts (head office manages them; `flask create-admin`) and the audit
log of every write; the head office's dashboard shows accounts locked after wrong passwords."""

from ...feature import Feature

feature = Feature(
    name="staff",
    package=__name__,
    admin=(".admin", ".audit_admin"),
    dashboard=(".dashboard",),
    cli=(".cli:create_admin",),
)
