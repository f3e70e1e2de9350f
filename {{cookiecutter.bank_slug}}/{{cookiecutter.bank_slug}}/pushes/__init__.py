"""群发 (mass push): announcing a product on sale to all followers or to a user tag, always previewed first
on the sending staff member's own WeChat."""
