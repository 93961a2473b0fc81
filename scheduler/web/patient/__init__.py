"""Patients' own pages: no account, no health data, no JavaScript needed."""
