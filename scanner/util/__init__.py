"""Leaf helpers with no knowledge of scanning: owner-only files and the data folder,
translations, text decoding, HTML and workbook page shells."""
