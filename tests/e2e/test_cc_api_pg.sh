# The same REST API test as test_cc_api.sh, on a real PostgreSQL server started here.
set -u
. "$(cd "$(dirname "$0")" && pwd)/cc_pg_lib.sh"
. "$HERE/test_cc_api.sh"
