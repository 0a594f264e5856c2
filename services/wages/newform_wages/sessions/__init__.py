"""Work sessions and working time across platforms (M7)."""
