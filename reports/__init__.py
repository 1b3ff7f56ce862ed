"""pvscan.reports: report writers (HTML, XLSX, CSV, JSON …)."""
