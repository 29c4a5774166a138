"""The Pharmacy dock (the to-dispense list until the pharmacy module brings dispensing)."""
