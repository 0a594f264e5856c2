"""The common tables' migrations (branch `common`): one history that every service's depends on."""
