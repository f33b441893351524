"""Wellbeing: check-ins GPs choose, and the crisis rule."""
