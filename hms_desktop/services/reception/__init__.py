"""Reception: patients and their records and ID cards, doctors with schedules, leaves and fees, appointments and
the live queue. Screen: the Reception dock. Models: ``db.models.patients``, ``scheduling``.
"""
