"""The incubator's pages: board.py (permit applications), mentoring.py (mentors, their
vendors, notes; the vendor's mentoring page), cohorts.py (cohorts and their report)."""
