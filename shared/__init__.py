"""What every Framewise service uses: configuration, database, server bootstrap, errors."""
