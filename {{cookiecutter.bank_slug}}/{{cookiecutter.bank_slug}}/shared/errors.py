"""Domain errors: a refusal by a rule of the bank, not a fault of the program.

Each class has a stable snake_case `code` (logs, stored failure codes, the core's wire contract) and a
`message` for the customer or staff member (the class default is lazy text, in the page's language; an
instance may carry a more precise one). They know nothing of HTTP: each edge maps `code` to its own status
once (h5/errors.py STATUS_BY_CODE), and every code is unique across the package (tests check it).
"""

from .i18n import _l


class DomainError(Exception):
    """Base of every refusal a customer or staff member is told about."""

    code = "domain_error"
    message = _l("操作未完成，请稍后再试")

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


def all_domain_errors(root: type[DomainError] = DomainError) -> list[type[DomainError]]:
    """`root` and every subclass defined so far (import the modules first), depth first."""
    found = [root]
    for subclass in root.__subclasses__():
        found.extend(all_domain_errors(subclass))
    return found
