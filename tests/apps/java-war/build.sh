#!/bin/sh
# build.sh OUTDIR: compiles the servlets and the library against Debian's embedded Tomcat
# (Jakarta Servlet 6) and writes OUTDIR/hello.war: web/, WEB-INF/classes and
# WEB-INF/lib/hearthlib.jar (lib/: a ServletContainerInitializer). Wars are built at test
# time, never committed.
set -e
[ -n "$1" ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
api=/usr/share/java/tomcat10-embed-core.jar
w="$1/war-tree"
l="$1/lib-tree"
rm -rf "$w" "$l"
mkdir -p "$w/WEB-INF/classes" "$w/WEB-INF/lib" "$l"
cp -r "$here/web/." "$w/"
javac -nowarn -cp "$api" -d "$w/WEB-INF/classes" "$here"/src/hearth/*.java
cp -r "$here/lib/META-INF" "$l/"
javac -nowarn -cp "$api" -d "$l" "$here"/lib/src/hearthlib/*.java
jar --create --file "$w/WEB-INF/lib/hearthlib.jar" -C "$l" .
jar --create --file "$1/hello.war" -C "$w" .
rm -rf "$w" "$l"
