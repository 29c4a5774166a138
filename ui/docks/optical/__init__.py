"""The Optical dock (issue 14): the order board, repairs and the catalogue of the optical counter."""
