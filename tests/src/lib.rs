//! End-to-end tests across the services live here as they are built.
