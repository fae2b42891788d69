"""In-app notifications (and optional e-mail) for the events users care about."""
