"""Identifiers as values: check-digit and date validation of fødselsnummer and
kontonummer, normalising a search key, masking for display and the keyed hash the
inventory stores. Used alike by detectors, the inventory and the workflows."""
