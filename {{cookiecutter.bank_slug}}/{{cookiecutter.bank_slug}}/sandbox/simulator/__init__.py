"""The browser simulator: a phone-sized WeChat chat with the service, served by the mock WeChat API.

Open http://127.0.0.1:5001/simulator/ after `flask --app <package> sandbox run`.
"""

from .views import bp

__all__ = ["bp"]
