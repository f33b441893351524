"""Sessions posted, offered, booked and reminded (flows/shifts/)."""
