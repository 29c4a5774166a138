"""The Lab dock: the technician's worklist (to collect, to enter, to verify, verified today), sample collection,
result entry against the test's parameters, verification by a second member of staff, the printed report."""
