"""The open data API (/api/open/v1): public postings for other agencies, under API keys."""
