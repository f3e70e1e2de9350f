"""The WeChat bank service (the bank it was baked for: bank_profile.py)."""

from .app import create_app

__all__ = ["create_app"]
