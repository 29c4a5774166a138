"""The clinic's encrypted store on this PC: where it lives, its keys, opening, backup, restore, rekey."""
