"""Branch staff: accounts for the admin panel."""
