"""The store's schema migrations (Alembic). Revision 0001 is the schema odq had when migrations began."""
