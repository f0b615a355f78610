"""People who may sign in, their roles and what each role may do."""
