"""Delivery: email messages, the SMTP session, the journal and the send command."""
