"""pvscan.plugins: built-in source and format plugins, registered like third-party ones."""
