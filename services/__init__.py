"""The four Framewise services, one package each."""
