"""The Doctor dock: the doctor's queue, the open consultation (diagnosis, prescription, lab, eye Rx, vitals)
and the patient's history."""
