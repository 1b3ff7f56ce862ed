"""The per-item engine: the plugin manager, sniffing, processing one item
(extract → detect) and the worker pool with time and memory limits. It knows nothing
about SQL."""
