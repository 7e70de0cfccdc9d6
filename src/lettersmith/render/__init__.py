"""Renderers: a composed letter in, a PDF, DOCX or email out."""
