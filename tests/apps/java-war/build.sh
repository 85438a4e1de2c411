#!/bin/sh
# build.sh OUTDIR: compiles the servlets and the library against Debian's embedded Tomcat
# (Jakarta Servlet 6, WebSocket 2.1) and writes OUTDIR/hello.war: web/, WEB-INF/classes and
# WEB-INF/lib/hearthlib.jar (lib/: a ServletContainerInitializer); and OUTDIR/jsp.war, the
# same plus jsp/: a JSP page using a tag library (WEB-INF/lib/hearthtag.jar with its TLD).
# Wars are built at test time, never committed.
set -e
[ -n "$1" ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
api=/usr/share/java/tomcat10-embed-core.jar:/usr/share/java/tomcat10-embed-websocket.jar
jspapi=$api:/usr/share/java/tomcat10-embed-jasper.jar
w="$1/war-tree"
l="$1/lib-tree"
rm -rf "$w" "$l"
mkdir -p "$w/WEB-INF/classes" "$w/WEB-INF/lib" "$l/lib" "$l/tags"
cp -r "$here/web/." "$w/"
javac -nowarn -cp "$api" -d "$w/WEB-INF/classes" "$here"/src/hearth/*.java
cp -r "$here/lib/META-INF" "$l/lib/"
javac -nowarn -cp "$api" -d "$l/lib" "$here"/lib/src/hearthlib/*.java
jar --create --file "$w/WEB-INF/lib/hearthlib.jar" -C "$l/lib" .
jar --create --file "$1/hello.war" -C "$w" .
cp -r "$here/jsp/web/." "$w/"
cp -r "$here/jsp/tags/META-INF" "$l/tags/"
javac -nowarn -cp "$jspapi" -d "$l/tags" "$here"/jsp/tags/src/hearthtag/*.java
jar --create --file "$w/WEB-INF/lib/hearthtag.jar" -C "$l/tags" .
jar --create --file "$1/jsp.war" -C "$w" .
rm -rf "$w" "$l"
