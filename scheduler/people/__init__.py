"""People and what they may do: accounts of people, roles per production, API tokens, sessions."""
