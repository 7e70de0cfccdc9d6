"""After sending: what comes back into the mailbox, read, classified and matched to the journal."""
