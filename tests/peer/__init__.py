"""Peer groups, coffee rounds, mentoring and matching (flows/peer/)."""
