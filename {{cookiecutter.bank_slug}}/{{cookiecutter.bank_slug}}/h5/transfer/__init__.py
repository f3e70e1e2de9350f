"""The transfer pages (/h5/transfer): form -> confirmation with the PIN -> result. Rules live in banking/transfers."""

from .views import bp

__all__ = ["bp"]
