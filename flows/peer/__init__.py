"""Peer support: groups and their sessions, coffee pairings, mentoring and its matching, nudges back."""
