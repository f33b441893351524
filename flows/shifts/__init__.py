"""Shifts: a session posted, offered in waves, booked, reminded, escalated when nobody takes it."""
