"""Labeling storage: SQLAlchemy tables and the repository over them."""
