"""The floor every room stands on: settings, exceptions, the state store engine, the clock."""
