"""The Pharmacy dock: to dispense (FEFO, the scanner), the counter, returns, the H1 register, stock alerts."""
