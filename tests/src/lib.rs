//! End-to-end tests across the services live in `tests/e2e/`: they start the booking
//! service, the notifier worker and the Digital Post simulator together against real
//! PostgreSQL and Redis.
