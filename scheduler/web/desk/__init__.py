"""The front desk's and practitioners' pages."""
