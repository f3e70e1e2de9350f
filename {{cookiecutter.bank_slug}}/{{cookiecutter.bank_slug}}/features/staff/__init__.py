"""Staff of the admin panel: their accounts (head office manages them; `flask create-admin`) and the audit
log of every write."""

from ...feature import Feature

feature = Feature(
    name="staff",
    package=__name__,
    admin=(".admin", ".audit_admin"),
    cli=(".cli:create_admin",),
)
