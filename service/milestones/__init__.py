"""Bounty milestones, the need ledger, and the need's life after the award."""
