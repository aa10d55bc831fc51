"""Integrators' webhook endpoints and each message's delivery to them."""
