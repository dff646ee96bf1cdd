//! The booking ids the service answered `201 Created` for during a run, for the
//! invariant check afterwards. Goose transactions are plain functions, so this is a
//! process-wide list.

use std::sync::Mutex;
use uuid::Uuid;

static CONFIRMED: Mutex<Vec<Uuid>> = Mutex::new(Vec::new());

/// Records a confirmed booking id (an unparsable id is recorded as nil, which the
/// invariant check then reports as a confirmed response without a row).
pub fn confirmed(id: &str) {
    let id = Uuid::parse_str(id).unwrap_or(Uuid::nil());
    CONFIRMED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(id);
}

/// Every id recorded so far.
pub fn all_confirmed() -> Vec<Uuid> {
    CONFIRMED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}
