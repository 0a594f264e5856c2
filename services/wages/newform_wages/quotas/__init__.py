"""Labour quotas (劳动定额) per post and their assessment (M7)."""
