"""Stock pages: intake, returns and write-offs, stock counts, expiry and movement history."""
