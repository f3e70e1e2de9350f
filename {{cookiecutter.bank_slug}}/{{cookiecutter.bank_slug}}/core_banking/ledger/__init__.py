"""The built-in double-entry ledger: adapter (a) of the CoreBanking port (`LedgerCore`).

For demos, pilots and banks without a core integration yet. Tables in models.py, the port in
core.py, invariants in check.py (`flask ledger check`), opening accounts in accounts.py.
"""
