"""Linli's own working calendar (holidays, 调休 working days, complete years): stored in
the database, filled from chinese-calendar, kept by admins. See ``operations``."""
