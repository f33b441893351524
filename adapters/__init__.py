"""One module per channel: receive (verify, parse), send, render, status."""
