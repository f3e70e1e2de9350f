"""Parametric QR codes (带参数二维码) and follower attribution: staff create permanent codes per branch and per
staff member and temporary codes per campaign through WeChat's qrcode/create, download them as PNG, and every
follow or scan through a code is recorded, so the dashboard shows where the last 30 days' followers came from."""

from ...feature import Feature

feature = Feature(
    name="qrcodes",
    package=__name__,
    models=(".models",),
    chat=(".chat",),
    admin=(".admin",),
    dashboard=(".dashboard",),
)
