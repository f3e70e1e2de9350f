"""Retention periods per kind of record (the RETENTION_* settings, in days after a record ended)."""

RETENTION_KEYS = {
    "card_binding_challenge": "RETENTION_BINDING_CHALLENGE_DAYS",
    "card_binding": "RETENTION_UNBOUND_BINDING_DAYS",
    "transfer_order": "RETENTION_TRANSFER_DAYS",
    "complaint": "RETENTION_COMPLAINT_DAYS",
    "branch_request": "RETENTION_REQUEST_DAYS",
    "wechat_follower": "RETENTION_FOLLOWER_DAYS",
    "privacy_consent": "RETENTION_CONSENT_DAYS",
    "privacy_erasure": "RETENTION_ERASURE_DAYS",
}
