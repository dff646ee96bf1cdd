# Shared helpers for the infra scripts. Sourced, not run.

# Root runs commands directly; anyone else through sudo.
if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

PG_URL_BASE="${PG_URL_BASE:-postgres://postgres:postgres@127.0.0.1:5432}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"

say() { printf '\033[1m==>\033[0m %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The workspace's target dir: CARGO_TARGET_DIR if set, else ./target.
target_dir() { echo "${CARGO_TARGET_DIR:-$ROOT/target}"; }

# The release binaries of the load and cluster scripts, always as one set: cargo unifies
# features over the packages it builds, so each different set would build the shared
# crates again.
build_release() {
  say "building booking, notifier and loadtests (release)"
  cargo build -q --release -p booking -p notifier -p loadtests
}
