"""The dataset service: datasets, samples (frames included), label sets, collaborators."""
