"""Arbitration and the court (M18): referral, the committee's acceptance or refusal, the award limit
(extension, suspension, restart), the award item by item, the court route, and the awards and
judgments the departments record."""
