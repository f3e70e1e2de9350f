"""The admin panel's own model views (customers, bindings, transfers, staff users, audit log)."""
