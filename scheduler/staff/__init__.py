"""Staff accounts and what each role may see; the day board, a practitioner's day and its
calendar feed, a patient's record as staff read it. Imports `scheduling` and below.
"""
