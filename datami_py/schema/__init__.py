"""Table Schema: field types, constraints and the binding of CSV headers to fields."""
