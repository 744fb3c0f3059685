"""Pure query builders: arguments (always including a Scope) in, SQLAlchemy statement out."""
