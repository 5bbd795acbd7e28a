"""The service's rules, one module per rule area, free of HTTP so they can be tested directly."""
