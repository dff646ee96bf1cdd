//! Journeys across services, against real PostgreSQL and Redis.

mod journeys;
