"""Online membership (互联网+工会, M17): apply, accept or refuse, transfer, leave; coverage per platform."""
