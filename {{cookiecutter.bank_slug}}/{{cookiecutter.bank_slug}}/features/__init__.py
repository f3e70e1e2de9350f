"""Features: each package owns its models, service, chat handlers, H5 pages, admin views and CLI,
and exports one `feature` (feature.py); app.FEATURES lists the installed ones."""
