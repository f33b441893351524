"""Wellbeing check-ins and the crisis rule (flows/wellbeing/)."""
