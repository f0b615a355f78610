"""Record linkage: Person and Address clusters with stable ids."""
