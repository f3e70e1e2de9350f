"""The bank's own SMS platform behind a signed HTTP contract (sms_gateway.openapi.yaml): the adapter
(client.py), the wire format (wire.py) and a reference server (server.py)."""
