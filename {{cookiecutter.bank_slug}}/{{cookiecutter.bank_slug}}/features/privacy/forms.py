"""The privacy pages' forms (Flask-WTF: every POST carries the CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField


class ConsentForm(FlaskForm):
    agree = BooleanField()  # read strictly by the view (h5._ticked); unticked is refused by the service
    version = HiddenField()
    next = HiddenField()


class ConfirmForm(FlaskForm):
    """A POST that only confirms (withdraw the consent, cancel the service): the CSRF token is the form."""

    confirm = HiddenField(default="1")
