"""Banking domain: branches and customers (the core-banking port and ledger build on these)."""
