"""Notices departments publish for workers (M11, M12, M15) and the copy of workers' registrations that
targets them."""
