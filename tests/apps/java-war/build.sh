#!/bin/sh
# build.sh OUTDIR: compiles the servlets against Debian's embedded Tomcat (Jakarta Servlet 6)
# and writes OUTDIR/hello.war (web/ + WEB-INF/classes). Wars are built at test time, never
# committed.
set -e
[ -n "$1" ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
w="$1/war-tree"
rm -rf "$w"
mkdir -p "$w/WEB-INF/classes"
cp -r "$here/web/." "$w/"
javac -nowarn -cp /usr/share/java/tomcat10-embed-core.jar -d "$w/WEB-INF/classes" "$here"/src/hearth/*.java
jar --create --file "$1/hello.war" -C "$w" .
rm -rf "$w"
