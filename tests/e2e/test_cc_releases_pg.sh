# The same release history and rollback test as test_cc_releases.sh, on a real PostgreSQL server
# started here.
set -u
. "$(cd "$(dirname "$0")" && pwd)/cc_pg_lib.sh"
. "$HERE/test_cc_releases.sh"
