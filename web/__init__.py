"""The web pages for officers, records managers and auditors (Vietnamese first)."""
