"""Consultations: build, respond, results, coding, outcomes and ward feedback."""
